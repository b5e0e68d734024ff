// iceberg: an executable DNS specification and differential checking of authoritative engines.
// Subcommands: `lookup` (the specification's answer to one query), `classes` (a zone's query
// equivalence classes), `check` (a real engine against the specification), `serve` (an engine
// kept running, to reproduce a check's findings with dig), `generate` (a random zone) and
// `campaign` (generated zones against several engines) and `verify` (an engine's own code proved
// against the specification by symbolic execution).
#include <CLI/CLI.hpp>

#include "commands.h"
#include "core/cli_app.h"

int main(int argc, char** argv) {
  CLI::App app{
      "iceberg: the authoritative DNS lookup as the RFCs specify it (RFC 1034 §4.3.2 with RFC "
      "2308, 4592, 6672, 6604), a zone's query equivalence classes, and differential checks of "
      "real authoritative engines (NSD, Knot DNS, BIND 9, PowerDNS) against it"};
  app.footer(R"(Examples:
  iceberg lookup --zone example.zone --origin example. --name www.example. --type A
  iceberg classes --zone example.zone --origin example.
  iceberg check --zone example.zone --origin example. --engine nsd
  iceberg serve --zone example.zone --origin example. --engine nsd --port 5353
  iceberg generate --seed 7 --output /tmp/z7.db
  iceberg campaign --engines nsd,knot,bind,pdns,gdnsd,yadifa --zones 200 --seed 1 --out /tmp/findings
  iceberg verify --zone example.zone --origin example. --engine knot

Run `iceberg <command> --help` for each command's options.)");
  return llms::RunCliApp(app,
                         {llms::iceberg::cli::RegisterLookup, llms::iceberg::cli::RegisterClasses,
                          llms::iceberg::cli::RegisterCheck, llms::iceberg::cli::RegisterGenerate,
                          llms::iceberg::cli::RegisterCampaign, llms::iceberg::cli::RegisterServe,
                          llms::iceberg::cli::RegisterVerify},
                         argc, argv);
}

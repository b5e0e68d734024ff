/* The harness iceberg runs Knot DNS's own code with: it loads one zone with Knot's zone loader
 * (zonefile_open/zonefile_load, then zone_adjust_full as knotd's zone update does) and answers one
 * query with knotd's query-processing layer (process_query_layer: parse, zone lookup,
 * internet_process_query, response), as knotd's UDP handler drives it. It is compiled with Knot's
 * sources (scripts/knot_bitcode.sh) to LLVM IR for the symbolic executor, and natively for the
 * harness's own test. No configuration database: conf() returns a zeroed configuration, which is
 * knotd's default for a zone without query modules (no query plans, no answer rotation). */
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "contrib/sockaddr.h"
#include "knot/conf/conf.h"
#include "knot/nameserver/process_query.h"
#include "knot/query/layer.h"
#include "knot/server/server.h"
#include "knot/zone/adjust.h"
#include "knot/zone/zone.h"
#include "knot/zone/zonedb.h"
#include "libknot/libknot.h"
/* Knot's zone-file loader itself, for its static scanner callbacks (a zone loaded from text). */
#include "knot/zone/zonefile.c"

static conf_t harness_conf;
conf_t *conf(void) { return &harness_conf; }

static server_t harness_server;
static zone_t harness_zone;

static void ignore_semantic_error(sem_handler_t *h, const zone_contents_t *zone,
                                  const knot_dname_t *node, sem_error_t error, const char *data) {
  (void)h, (void)zone, (void)node, (void)error, (void)data;
}

/* zonefile_open (zonefile.c) reading `len` bytes of zone-file text instead of a file. */
static int open_text(zloader_t *loader, const char *text, size_t len, const knot_dname_t *origin) {
  memset(loader, 0, sizeof(zloader_t));
  zcreator_t *zc = calloc(1, sizeof(zcreator_t));
  if (zc == NULL) return KNOT_ENOMEM;
  zc->z = zone_contents_new(origin, true);
  char *origin_str = knot_dname_to_str_alloc(origin);
  if (zc->z == NULL || origin_str == NULL) return KNOT_ENOMEM;
  if (zs_init(&loader->scanner, origin_str, KNOT_CLASS_IN, 3600) != 0 ||
      zs_set_input_string(&loader->scanner, text, len) != 0 ||
      zs_set_processing(&loader->scanner, process_data, process_error, zc) != 0) {
    free(origin_str);
    return KNOT_EFILE;
  }
  free(origin_str);
  loader->source = strdup("zone text");
  loader->creator = zc;
  loader->semantic_checks = SEMCHECK_MANDATORY_ONLY;
  loader->time = 0;
  return KNOT_EOK;
}

/* Loads the zone `origin` (text, e.g. "example.") from the file `path`, or, when `text` is not
 * NULL, from its `len` bytes. 0 or a Knot error code. */
int iceberg_knot_load(const char *path, const char *text, size_t len, const char *origin) {
  knot_dname_t *apex = knot_dname_from_str_alloc(origin);
  if (apex == NULL) return KNOT_EINVAL;
  zloader_t zl;
  int ret = text != NULL ? open_text(&zl, text, len, apex)
                         : zonefile_open(&zl, path, apex, SEMCHECK_MANDATORY_ONLY, time(NULL));
  if (ret != KNOT_EOK) return ret;
  sem_handler_t handler = {.cb = ignore_semantic_error};
  zl.err_handler = &handler;
  zl.creator->master = true;
  zone_contents_t *contents = zonefile_load(&zl);
  zonefile_close(&zl);
  if (contents == NULL) return KNOT_EMALF;
  ret = zone_adjust_full(contents, 1);
  if (ret != KNOT_EOK) return ret;
  harness_zone.name = apex;
  harness_zone.contents = contents;
  harness_server.zone_db = knot_zonedb_new();
  return knot_zonedb_insert(harness_server.zone_db, &harness_zone);
}

/* Answers the query `query` (`query_len` bytes of DNS wire format) into `out` (at least 512 bytes,
 * a UDP answer's limit). The answer's length, or -1 when knotd would send nothing. */
int iceberg_knot_answer(const uint8_t *query, size_t query_len, uint8_t *out) {
  knot_layer_t layer;
  memset(&layer, 0, sizeof(layer));
  knot_layer_init(&layer, NULL, process_query_layer());
  struct sockaddr_storage remote;
  memset(&remote, 0, sizeof(remote));
  remote.ss_family = AF_INET;
  knotd_qdata_params_t params = {
      .proto = KNOTD_QUERY_PROTO_UDP, .remote = &remote, .server = &harness_server};
  knot_layer_begin(&layer, &params);
  knot_pkt_t *q = knot_pkt_new((uint8_t *)query, query_len, NULL);
  knot_pkt_t *ans = knot_pkt_new(out, KNOT_WIRE_MIN_PKTSIZE, NULL);
  if (q == NULL || ans == NULL) return -1;
  (void)knot_pkt_parse(q, 0);
  knot_layer_consume(&layer, q);
  int len = -1;
  while (layer.state & (KNOT_STATE_PRODUCE | KNOT_STATE_FAIL)) {
    knot_layer_produce(&layer, ans);
    if (layer.state == KNOT_STATE_DONE || layer.state == KNOT_STATE_FAIL) len = (int)ans->size;
    if (layer.state == KNOT_STATE_DONE) break;
  }
  knot_layer_finish(&layer);
  knot_pkt_free(q);
  knot_pkt_free(ans);
  return len;
}

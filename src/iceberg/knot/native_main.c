/* A native driver of the Knot harness (harness.c), to check that the harness answers as the live
 * knotd does: `knot_native ZONEFILE ORIGIN` loads the zone with Knot's loader, then reads DNS
 * queries as hexadecimal lines on stdin and writes each answer as a hexadecimal line (an empty
 * line where knotd would send nothing). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int iceberg_knot_load(const char *path, const char *text, size_t len, const char *origin);
int iceberg_knot_answer(const uint8_t *query, size_t query_len, uint8_t *out);

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: knot_native ZONEFILE ORIGIN < queries (hex, one per line)\n");
    return 2;
  }
  int ret = iceberg_knot_load(argv[1], NULL, 0, argv[2]);
  if (ret != 0) {
    fprintf(stderr, "knot_native: Knot could not load %s (error %d)\n", argv[1], ret);
    return 1;
  }
  static char line[2 * 65536 + 2];
  while (fgets(line, sizeof line, stdin)) {
    uint8_t query[65536], out[65536];
    size_t n = 0;
    for (const char *p = line; p[0] && p[1] && p[0] != '\n'; p += 2) {
      unsigned byte;
      if (sscanf(p, "%2x", &byte) != 1) break;
      query[n++] = (uint8_t)byte;
    }
    int len = iceberg_knot_answer(query, n, out);
    for (int i = 0; i < len; ++i) printf("%02x", out[i]);
    printf("\n");
    fflush(stdout);
  }
  return 0;
}

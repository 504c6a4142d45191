/* cpu_ns.h — CPU time of a process, all its threads, in ns: the sum of the
 * first field of /proc/<pid>/task/<tid>/schedstat (time on a CPU).  For
 * the W5 "CPU per round trip" figure of the C peers and bclock.c. */
#ifndef CPU_NS_H
#define CPU_NS_H
#include <dirent.h>
#include <stdio.h>
#include <sys/types.h>

static double cpu_ns_of(pid_t pid) {
  char path[320];
  double sum = 0;
  struct dirent *e;
  DIR *d;
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  d = opendir(path);
  if (d == NULL) return -1;
  while ((e = readdir(d)) != NULL) {
    unsigned long long ns;
    FILE *f;
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
    f = fopen(path, "r");
    if (f == NULL) continue; /* the thread just ended */
    if (fscanf(f, "%llu", &ns) == 1) sum += (double)ns;
    fclose(f);
  }
  closedir(d);
  return sum;
}
#endif

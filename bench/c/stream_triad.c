/*
 * STREAM's triad, a[i] = b[i] + s*c[i] over three double arrays far larger than the caches, the
 * yardstick the bench's Java MemoryBandwidth is checked against (README, "Measured"). Counts 24
 * bytes an element (two reads, one write; the write's read for ownership is not counted), as
 * STREAM does; reports the best and the median of the timed runs.
 *
 *   gcc -O3 -march=native -fopenmp bench/c/stream_triad.c -o /tmp/stream_triad && OMP_NUM_THREADS=2 /tmp/stream_triad [MiB per array] [runs]
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

static int compare(const void *x, const void *y) {
    double a = *(const double *) x, b = *(const double *) y;
    return (a > b) - (a < b);
}

int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 512;
    int runs = argc > 2 ? atoi(argv[2]) : 10;
    long n = mib * 1024 * 1024 / sizeof(double);
    double *a = malloc(n * sizeof(double)), *b = malloc(n * sizeof(double)), *c = malloc(n * sizeof(double));
    double *seconds = malloc(runs * sizeof(double));
    if (!a || !b || !c || !seconds) return 1;
    /* First touch on the threads that later stream each part. */
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        a[i] = 0;
        b[i] = i & 1023;
        c[i] = 1 + (i & 511);
    }
    double s = 3;
    for (int r = -1; r < runs; r++) {
        double start = omp_get_wtime();
#pragma omp parallel for schedule(static)
        for (long i = 0; i < n; i++) a[i] = b[i] + s * c[i];
        double t = omp_get_wtime() - start;
        if (r >= 0) seconds[r] = t;
    }
    qsort(seconds, runs, sizeof(double), compare);
    double bytes = 24.0 * n;
    printf("triad %d threads, 3 x %ld MiB: best %.1f GB/s, median %.1f GB/s (check %g)\n", omp_get_max_threads(), mib,
           bytes / seconds[0] / 1e9, bytes / seconds[runs / 2] / 1e9, a[n / 2]);
    return 0;
}

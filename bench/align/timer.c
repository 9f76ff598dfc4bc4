/* In-process timing driver for the alignment benchmark (bench/align/run builds
 * it against build/libbeforeafter.a).  Reads "REFERENCE<TAB>PHOTO" lines on
 * stdin and prints, per line, one tab-separated record:
 *
 *   ok|refused|error  seconds  m00 m01 m02 m10 m11 m12  inliers score ncc
 *   overlap keypoints_photo keypoints_reference matches drift  cpu_seconds
 *   message
 *
 * seconds is the wall time of ba_align_files(): decoding both files (with
 * ingest's checks) and aligning them - the same work the OpenCV peers are
 * timed on (imread + their method), without process start-up; cpu_seconds
 * is the CPU time of the process (all threads) over the same call.
 * inliers, ncc and overlap come from the diagnostics, so they are there for
 * refused pairs too. */
#include <beforeafter/beforeafter.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
    ba_error err;
    if (ba_init(argv[0], &err)) {
        fprintf(stderr, "timer: %s\n", err.message);
        return 1;
    }
    int work = argc > 1 ? atoi(argv[1]) : 0;
    char line[8192];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        const char *ref = line, *photo = tab + 1;
        ba_align_options o;
        ba_align_options_init(&o);
        o.work_size = work;
        ba_align_details d;
        o.details = &d;
        ba_alignment a;
        memset(&a, 0, sizeof a);
        struct timespec c0, c1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
        gint64 t0 = g_get_monotonic_time();
        int rc = ba_align_files(ref, photo, &o, &a, &err);
        double secs = (g_get_monotonic_time() - t0) / 1e6;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
        double cpu = (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9;
        printf("%s\t%.4f", rc == 0 ? "ok" : err.code == BA_ERR_REFUSED ? "refused" : "error", secs);
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++)
                printf("\t%.10g", a.matrix[r][c]);
        printf("\t%d\t%.4f\t%.4f\t%.3f\t%d\t%d\t%d\t%.3f\t%.4f\t%s\n", d.inliers, a.score,
               d.ncc, d.overlap, d.keypoints_photo, d.keypoints_reference, d.matches, d.drift_px,
               cpu, rc == 0 ? "" : err.message);
        fflush(stdout);
    }
    ba_shutdown();
    return 0;
}

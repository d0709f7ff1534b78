#define _POSIX_C_SOURCE 200809L
#include "progress.h"

#include <stdio.h>
#include <time.h>

double progress_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

void progress_start(progress *p, const network *net)
{
    p->start_ms = p->last_ms = progress_now_ms();
    p->first_iteration = p->last_iteration = network_iteration(net);
    p->avg_loss = -1;
    p->max_iter = 0;
    p->csv = NULL;
}

static void format_duration(double s, char *buf, size_t n)
{
    if (s < 0) s = 0;
    int h = (int)(s / 3600), m = (int)(s / 60) % 60, sec = (int)s % 60;
    if (h) snprintf(buf, n, "%dh%02dm", h, m);
    else snprintf(buf, n, "%dm%02ds", m, sec);
}

static void write_csv_row(FILE *f, network *net, float loss, const char **names, const float *values, int n)
{
    if (ftell(f) == 0) {
        fprintf(f, "iteration,lr,loss");
        for (int k = 0; k < n; ++k) fprintf(f, ",%s", names[k]);
        fputc('\n', f);
    }
    fprintf(f, "%d,%.6g,%.6g", network_iteration(net), network_current_lr(net), loss);
    for (int k = 0; k < n; ++k) fprintf(f, ",%.6g", values[k]);
    fputc('\n', f);
}

void progress_report(progress *p, network *net, float loss)
{
    double now = progress_now_ms();
    int it = network_iteration(net), max = p->max_iter ? p->max_iter : network_max_batches(net);
    int images = network_batch(net) * network_subdivisions(net) * network_replicas(net);
    p->avg_loss = p->avg_loss < 0 ? loss : 0.9f * p->avg_loss + 0.1f * loss;
    int done = it - p->first_iteration > 0 ? it - p->first_iteration : 1;
    double per_step = (now - p->start_ms) / done;
    int since = it - p->last_iteration > 0 ? it - p->last_iteration : 1;
    char left[32];
    format_duration(max > it ? (max - it) * per_step / 1e3 : 0, left, sizeof left);
    printf("%d/%d: loss %.4f (avg %.4f) [", it, max, loss, p->avg_loss);
    const char *names[16];
    float values[16];
    int n = network_losses(net, names, values, 16);   /* one sum per name: five [cwd] print once */
    for (int k = 0; k < n; ++k) printf("%s%s %.4f", k ? ", " : "", names[k], values[k]);
    printf("] lr %.6g, %.1f img/s, %s left\n", network_current_lr(net), since * images * 1e3 / (now - p->last_ms),
           left);
    fflush(stdout);
    if (p->csv) write_csv_row(p->csv, net, loss, names, values, n);
    p->last_ms = now;
    p->last_iteration = it;
}

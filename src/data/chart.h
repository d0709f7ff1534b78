/* chart.h: the training chart (loss per iteration and mAP evaluations) as a
 * PNG, like darknet's chart.png but written without OpenCV. */
#ifndef DN_CHART_H
#define DN_CHART_H

typedef struct {
    const float *loss;       /* loss[i]: the loss of iteration i + 1 */
    int n_loss;
    const int *map_iter;     /* iterations at which the metric was measured */
    const float *map;        /* the metric (0..1) at each: mAP, or accuracy */
    int n_map;
    int max_iter;            /* the x axis runs to this */
    const char *title;
    const char *metric;      /* its name on the right axis; NULL: "mAP" */
} chart_data;

/* Draws and saves atomically (PNG). Returns 0 or -1 with dn_last_error(). */
int save_chart(const char *path, const chart_data *d);

#endif

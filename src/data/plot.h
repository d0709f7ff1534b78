/* plot.h: a line plot of a few series (mean and error bar per point) as a
 * PNG, for results people compare by eye: gains by training length, etc. */
#ifndef DN_PLOT_H
#define DN_PLOT_H

typedef struct {
    const char *name;        /* in the legend */
    const double *x, *y;     /* n points, x increasing */
    const double *err;       /* half-height of each error bar, or NULL */
    int n;
} plot_series;

typedef struct {
    const char *title, *x_label, *y_label;
    const plot_series *series;
    int n_series;
} plot_data;

/* Axes on round ticks (1, 2 or 5 times a power of ten): y from 0 to above the
 * highest point with at least 5% headroom, x over the data; each series in its
 * own colour, its points marked, a legend in the right-hand corner (top or
 * bottom) that hides less of the lines.
 * Saved atomically. 0, or -1 with dn_last_error(). */
int save_plot(const char *path, const plot_data *p);

#endif

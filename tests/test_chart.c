/* The training chart and plots: PNGs that load back at their size, with the loss curve
 * and mAP marks drawn in their colours, also for NaN losses and empty input. */
#include <stdlib.h>
#include <unistd.h>

#include "chart.h"
#include "plot.h"
#include "image.h"
#include "test.h"

static int count_colour(const image *im, float r, float g, float b)
{
    int n = 0;
    for (int y = 0; y < im->h; ++y)
        for (int x = 0; x < im->w; ++x)
            n += fabsf(*image_at(im, x, y, 0) - r) < 0.05f && fabsf(*image_at(im, x, y, 1) - g) < 0.05f &&
                 fabsf(*image_at(im, x, y, 2) - b) < 0.05f;
    return n;
}

TEST(chart_draws_loss_and_map)
{
    float loss[200];
    for (int i = 0; i < 200; ++i) loss[i] = 5.0f / (1 + i * 0.1f);
    loss[50] = NAN;
    int map_iter[2] = {100, 200};
    float map[2] = {0.3f, 0.6f};
    chart_data d = {loss, 200, map_iter, map, 2, 300, "test", NULL};
    const char *path = "/tmp/dn_test_chart.png";
    CHECK_MSG(save_chart(path, &d) == 0, "%s", dn_last_error());
    image *im = load_image(path);
    CHECK(im && im->w == 900 && im->h == 540);
    if (im) {
        CHECK_MSG(count_colour(im, 0.1f, 0.3f, 0.9f) > 300, "no loss curve");
        CHECK_MSG(count_colour(im, 0.8f, 0.1f, 0.1f) > 100, "no mAP marks");
        free_image(im);
    }
    chart_data empty = {NULL, 0, NULL, NULL, 0, 0, NULL, NULL};
    CHECK(save_chart(path, &empty) == 0);
    unlink(path);
}

/* A plot puts each point where its value says: x from 100 to 300 (round
 * already), y from 0 to 50, the first tick of 10 above 40 * 1.05. */
TEST(plot_marks_points_where_their_values_are)
{
    const double x[2] = {100, 300}, a[2] = {10, 40}, b[2] = {20, 20}, err[2] = {5, 0};
    plot_series s[2] = {{"a", x, a, err, 2}, {"b", x, b, NULL, 2}};
    plot_data p = {"test", "iterations", "AP50", s, 2};
    const char *path = "/tmp/dn_test_plot.png";
    CHECK_MSG(save_plot(path, &p) == 0, "%s", dn_last_error());
    image *im = load_image(path);
    CHECK(im && im->w == 900 && im->h == 540);
    if (im) {
        float rgb[3];
        class_color(1, rgb);   /* series b: y = 20 on an axis to 50, at x = 300 (the right end) */
        int px = 900 - 40, py = 540 - 60 - (int)((540 - 50 - 60) * 20 / 50.0);
        for (int c = 0; c < 3; ++c) CHECK_NEAR(*image_at(im, px - 1, py, c), rgb[c], 0.05);
        CHECK_MSG(count_colour(im, rgb[0], rgb[1], rgb[2]) > 300, "no line for b");
        free_image(im);
    }
    unlink(path);
}

/* Whether the legend's grey frame has its top-right corner at the top of the plot. */
static int legend_at_top(const double *y)
{
    const double x[3] = {0, 500, 1000};
    plot_series s = {"a long series name that a fixed box would cut", x, y, NULL, 3};
    plot_data p = {"legend", "iteration", "top1", &s, 1};
    const char *path = "/tmp/dn_test_legend.png";
    int top = -1;
    CHECK_MSG(save_plot(path, &p) == 0, "%s", dn_last_error());
    image *im = load_image(path);
    if (im) {
        /* the frame's right edge, 6 pixels inside the plot's: grey (0.6) 8 pixels below the top or above the bottom */
        int x = 900 - 40 - 6, at_top = fabsf(*image_at(im, x, 50 + 6 + 8, 0) - 0.6f) < 0.05f,
            at_bottom = fabsf(*image_at(im, x, 540 - 60 - 6 - 8, 0) - 0.6f) < 0.05f;
        CHECK_MSG(at_top != at_bottom, "legend frame at top %d, bottom %d", at_top, at_bottom);
        top = at_top;
        free_image(im);
    }
    unlink(path);
    return top;
}

/* A curve that rises to the top right (accuracy) gets its legend at the
 * bottom right; one that falls there (a loss) at the top right. */
TEST(plot_legend_goes_to_the_corner_the_curves_leave_free)
{
    const double rising[3] = {10, 80, 95}, falling[3] = {95, 30, 5};
    CHECK(legend_at_top(rising) == 0);
    CHECK(legend_at_top(falling) == 1);
}

/* The training chart: a PNG that loads back at its size, with the loss curve
 * and mAP marks drawn in their colours, also for NaN losses and empty input. */
#include <stdlib.h>
#include <unistd.h>

#include "chart.h"
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

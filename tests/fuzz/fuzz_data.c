/* fuzz_data.c: libFuzzer harness for darknet's dataset text files: the input
 * is read as a label file (read_labels), a .data file (data_cfg_read), an
 * image list (read_image_list, then each entry's label paths) and a .names
 * file (read_names). Seeds: a `darknet synth` dataset (scripts/fuzz.sh). */
#include "data_cfg.h"
#include "fuzz_util.h"
#include "labels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512], label[4096];
    fuzz_write("fuzz.txt", data, size, path);

    fuzz_begin();
    for (int classes = 0; classes <= 80; classes += 80) {
        box_label *boxes = NULL;
        unsigned flags = 0;
        int n = read_labels(path, classes, &boxes, &flags, 1);
        for (int i = 0; i < n; ++i)
            if (boxes[i].id < 0 || (classes && boxes[i].id >= classes)) abort();
        free(boxes);
    }

    fuzz_begin();
    data_cfg_free(data_cfg_read(path));

    fuzz_begin();
    int n = 0;
    char **list = read_image_list(path, &n);
    for (int i = 0; list && i < n; ++i) {
        label_path(list[i], label, sizeof label);
        label_path_beside(list[i], label, sizeof label);
    }
    free_string_list(list, n);

    fuzz_begin();
    list = read_names(path, &n);
    free_string_list(list, n);
    return 0;
}

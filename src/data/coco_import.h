/* coco_import.h: turns a COCO instances file into a darknet dataset.
 *
 * For INSTANCES named instances_SPLIT.json it writes, under OUT_DIR:
 *   images/SPLIT/NAME   symbolic links to IMAGE_DIR/NAME (the images stay put)
 *   labels/SPLIT/N.txt  darknet labels: class x_centre y_centre w h, normalised;
 *                       crowd annotations are left out (they are ignore regions
 *                       for evaluation, read from the JSON, not objects to learn)
 *   SPLIT.txt           the image list (absolute paths)
 *   coco.names          the category names in class order
 *   coco.data           classes, names, backup, and train= or valid= for this
 *                       split (a split whose name holds "train" is train=); for
 *                       a validation split also coco_json= INSTANCES, so that
 *                       evaluation sees crowd regions and annotation areas.
 * Classes are the categories' ids in ascending order: COCO's ids 1..90 with
 * gaps become 0..79. An existing coco.data keeps its other keys. */
#ifndef DN_COCO_IMPORT_H
#define DN_COCO_IMPORT_H

typedef struct {
    int images, labels_written, crowd_skipped, degenerate_skipped, classes;
    char split[128];
} coco_import_stats;

int coco_import(const char *instances, const char *image_dir, const char *out_dir, coco_import_stats *st);

#endif

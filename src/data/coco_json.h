/* coco_json.h: COCO's JSON files: an instances file (images, annotations,
 * categories) and a detection results file (a list of {image_id,
 * category_id, bbox, score}); and the map between COCO category ids and
 * contiguous class indices. Errors name the file and the field. */
#ifndef DN_COCO_JSON_H
#define DN_COCO_JSON_H

/* An annotation of an instances file. */
typedef struct {
    long long id;        /* annotation id (carried, not used by the metrics) */
    long long image_id;
    int category_id;
    double bbox[4];      /* x, y (top-left corner), w, h in pixels */
    double area;         /* the annotation's `area` (COCO: the mask area), not w*h */
    int iscrowd;         /* 1: an ignore region */
} coco_gt;

/* A detection of a results file. */
typedef struct {
    long long image_id;
    int category_id;
    double bbox[4];      /* x, y, w, h in pixels */
    double score;
} coco_det;

typedef struct {
    long long id;
    char *file_name;
    int width, height;
} coco_image;

typedef struct {
    int id;
    char *name;
} coco_category;

typedef struct {
    coco_image *images;
    int n_images;
    coco_gt *annotations;   /* area = w*h where the file has none; iscrowd 0 if absent */
    int n_annotations;
    coco_category *categories;
    int n_categories;
} coco_dataset;

/* Reads an instances JSON (e.g. instances_val2017.json). Requires image
 * id/file_name/width/height, annotation id/image_id/category_id/bbox,
 * category id/name; ids must be unique and annotations must name a known
 * image and category. Returns 0, or -1 with dn_last_error(). */
int coco_load_instances(const char *path, coco_dataset *ds);
void coco_free_instances(coco_dataset *ds);

/* Reads a results JSON. With ds, every image_id must be one of its images
 * (as pycocotools' loadRes asserts); detections of categories ds does not
 * have are kept but counted in *n_unknown_cat (evaluation leaves them out).
 * *dets is malloc'ed (free it); returns 0, or -1 with dn_last_error(). */
int coco_load_results(const char *path, const coco_dataset *ds, coco_det **dets, int *n, int *n_unknown_cat);

/* Writes dets as a results JSON, each number in the fewest digits that read
 * back to the same double. Saved atomically (atomic_file.h). Returns 0 or -1. */
int coco_save_results(const char *path, const coco_det *dets, int n);

/* Contiguous class indices: ids[i] is the category id of class i, the ids
 * of cats in ascending order (COCO's 80 ids 1..90 become 0..79). Returns the
 * count, or -1 (dn_last_error) on a duplicate id. ids holds n ints. */
int coco_class_ids(const coco_category *cats, int n, int *ids);
/* Class index of category_id in ids (from coco_class_ids); -1 if absent. */
int coco_class_index(const int *ids, int n, int category_id);

#endif

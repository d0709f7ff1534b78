/* detector.c: `darknet detector SUBCOMMAND`, as darknet users know it. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "detector_cmds.h"

const char usage_detector[] =
    "detector train DATA CFG [WEIGHTS] [-map] [-clear] [-seed S] [-threads T] [-backup_every N]\n"
    "      [-map_every N] [-dont_show]   train; backups and chart_CFG.png go to the .data's backup=\n"
    "  detector test DATA CFG WEIGHTS IMAGE [-thresh T] [-out FILE]   detect and draw on one image\n"
    "  detector valid DATA CFG WEIGHTS [-out results.json] [-thresh T]   COCO results JSON of valid=\n"
    "  detector map DATA CFG WEIGHTS [-iou_thresh T] [-points 0|11|101] [-thresh T]\n"
    "      COCO's twelve numbers (against coco_json= when the .data names one) and VOC mAP\n";

int run_detector(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } subcommands[] = {
        {"train", detector_train},
        {"test", detector_test},
        {"valid", detector_valid},
        {"map", detector_map},
    };
    if (argc < 1) return usage_error("detector");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; ++i)
        if (!strcmp(argv[0], subcommands[i].name)) return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "darknet detector: unknown subcommand '%s'\n", argv[0]);
    return usage_error("detector");
}

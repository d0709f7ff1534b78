/* detector.c: `darknet detector SUBCOMMAND`, as darknet users know it. */
#include "args.h"
#include "commands.h"
#include "detector_cmds.h"

const char usage_detector[] =
    "detector train DATA CFG [WEIGHTS] [-map] [-clear] [-seed S] [-threads T] [-backup_every N]\n"
    "      [-map_every N] [-dont_show]   train; backups and chart_CFG.png go to the .data's backup=\n"
    "  detector test DATA CFG WEIGHTS IMAGE [-thresh T] [-out FILE]   detect and draw on one image\n"
    "  detector valid DATA CFG WEIGHTS [-out results.json] [-thresh T]   COCO results JSON of valid=\n"
    "  detector map DATA CFG WEIGHTS [-iou_thresh T] [-points 0|11|101] [-thresh T]\n"
    "      COCO's twelve numbers (against coco_json= when the .data names one) and VOC mAP\n"
    "  detector demo DATA CFG WEIGHTS VIDEO|-c CAM [-thresh T] [-out_filename OUT.avi|.mp4] [-dont_show]\n"
    "      [-frames N]   detect on every frame, draw, write and show them (needs make OPENCV=1)\n";

int run_detector(int argc, char **argv)
{
    static const subcommand subcommands[] = {
        {"train", detector_train},
        {"test", detector_test},
        {"valid", detector_valid},
        {"map", detector_map},
        {"demo", detector_demo},
        {"calc_anchors", detector_calc_anchors},
    };
    return run_subcommand("detector", subcommands, sizeof subcommands / sizeof subcommands[0], argc, argv);
}

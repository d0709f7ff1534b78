/* progress.h: the one-line training progress report shared by the training
 * commands: iteration, each loss by name, learning rate, images/s, time left. */
#ifndef DN_PROGRESS_H
#define DN_PROGRESS_H

#include <stdio.h>

#include "darknet.h"

typedef struct {
    double start_ms, last_ms;
    int first_iteration;     /* when timing started, for the time left */
    int last_iteration;      /* of the previous report, for images/s */
    float avg_loss;          /* exponential moving average, as darknet prints */
    int max_iter;            /* the last iteration of the run; 0: max_batches */
    FILE *csv;               /* optional: a row per step, see progress_report */
} progress;

double progress_now_ms(void);
void progress_start(progress *p, const network *net);
/* Prints the line for the step just taken (loss: the step's loss per image);
 * with p->csv also a CSV row: iteration, lr, loss, then each loss by name
 * (a header line names them before the first row). */
void progress_report(progress *p, network *net, float loss);

#endif

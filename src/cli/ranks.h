/* ranks.h: the `darknet` command as one rank of an MPI job (mpirun -np N).
 * Rank 0 prints as a single process does; the other ranks print nothing on
 * stdout, only warnings (no notes) on stderr, each line prefixed with "rank R
 * of N on HOST: " so that a failure says where it happened. Commands that
 * share their work over the ranks (training, detector map/valid, benchmark)
 * run on every rank; the others run on rank 0 alone. */
#ifndef DN_RANKS_H
#define DN_RANKS_H

/* Joins the job and sets up this rank's output. 0 or -1 (message printed). */
int ranks_begin(int *argc, char ***argv);
/* 1 when this rank runs the command of argv (argv[1] on), 0 when it sits it out. */
int ranks_run_here(int argc, char **argv);
/* Restores the output and leaves the job; a failed rank (rc != 0) whose peers
 * go on ends the job (dist_leave, then dist_end_job). Returns rc. */
int ranks_end(int rc);

#endif

# darknet: build with `make`, test with `make test`, try it with `make demo`.
# Switches: GPU=0/1 CUDNN=0/1 OPENCV=0/1 OPENBLAS=1/0 DEBUG=0/1 SANITIZE=0/1 MPI=0/1
GPU      ?= 0
CUDNN    ?= 0
OPENCV   ?= 0
OPENBLAS ?= 1
DEBUG    ?= 0
SANITIZE ?= 0
# MPI=1: training over several processes and hosts with Open MPI (mpirun -np N ./darknet ...)
MPI      ?= 0
MPICC    ?= mpicc
# -march=native: darknet is built where it runs; set ARCH= for a portable build.
ARCH     ?= -march=native

CC       ?= gcc
CXX      ?= g++
NVCC     ?= nvcc
BUILD    ?= build
# Separate build trees per configuration so switching flags never mixes objects.
ifeq ($(SANITIZE),1)
override BUILD := $(BUILD)-sanitize
endif
ifeq ($(OPENCV),1)
override BUILD := $(BUILD)-opencv
endif
# MPI objects go to BUILD-mpi, unless BUILD already names such a directory
ifeq ($(MPI)$(filter %-mpi,$(BUILD)),1)
override BUILD := $(BUILD)-mpi
endif

# The library's folders, lowest level first (docs/ARCHITECTURE.md, Layout).
LIB_DIRS := core ops layers detect data distill registry analysis
INCLUDES := -Iinclude $(addprefix -Isrc/,$(LIB_DIRS) cli) -I/usr/include/stb
CFLAGS   := -std=c11 -D_GNU_SOURCE -Wall -Wextra -fPIC -pthread $(INCLUDES) -MMD -MP
# stb (images, font), libjpeg-turbo (fast JPEG), cJSON (COCO files)
LDLIBS   := -lstb -lturbojpeg -lcjson -lm -pthread

ifeq ($(DEBUG),1)
CFLAGS   += -O0 -g
else
CFLAGS   += -O3 $(ARCH) -fno-math-errno -fno-trapping-math
endif
ifeq ($(SANITIZE),1)
CFLAGS   += -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif
ifeq ($(OPENBLAS),1)
CFLAGS   += -DDN_OPENBLAS -I/usr/include/x86_64-linux-gnu/openblas-pthread
LDLIBS   += -lopenblas
endif
ifeq ($(OPENCV),1)
# video files, cameras and windows for `detector demo`: a C++ shim (src/data/video.h)
CFLAGS   += -DDN_OPENCV
CV_FLAGS := $(shell pkg-config --cflags opencv4 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs-only-L opencv4 2>/dev/null) \
            -lopencv_highgui -lopencv_videoio -lopencv_imgproc -lopencv_core -lstdc++
CPP_SRC  := src/data/video_opencv.cpp
endif
ifeq ($(GPU),1)
CFLAGS   += -DDN_GPU -I/usr/local/cuda/include
LDLIBS   += -L/usr/local/cuda/lib64 -lcudart -lcublas
CU_SRC   := $(wildcard src/cuda/*.cu)
endif
ifeq ($(CUDNN),1)
CFLAGS   += -DDN_CUDNN
LDLIBS   += -lcudnn
endif
# src/core/dist.h is MPI in dist_mpi.c, or one process in dist_local.c. The flags
# come from Open MPI's wrapper, so CC (gcc, clang) stays the compiler.
ifeq ($(MPI),1)
ifeq ($(shell command -v $(MPICC)),)
$(error MPI=1 needs $(MPICC): run scripts/install_deps.sh (openmpi-bin, libopenmpi-dev))
endif
CFLAGS   += -DDN_MPI $(shell $(MPICC) --showme:compile)
LDLIBS   += $(shell $(MPICC) --showme:link)
DIST_OFF := src/core/dist_local.c
else
DIST_OFF := src/core/dist_mpi.c
endif
# GPU=1 MPI=1: NCCL sums device buffers (src/core/dist_device.h)
ifeq ($(GPU)$(MPI),11)
LDLIBS   += -lnccl
else
DIST_OFF += src/core/dist_nccl.c
endif

LIB_SRC  := $(filter-out $(DIST_OFF),$(wildcard $(LIB_DIRS:%=src/%/*.c)))
CLI_SRC  := $(wildcard src/cli/*.c)
TEST_SRC := $(wildcard tests/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(CU_SRC:%.cu=$(BUILD)/%.o) $(CPP_SRC:%.cpp=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

.PHONY: all deps test demo demo-classify demo-distill bench clean fuzz fuzz-build
all: darknet $(BUILD)/libdarknet.a $(BUILD)/libdarknet.so

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(filter-out -std=c11,$(CFLAGS)) -std=c++17 $(CV_FLAGS) -c $< -o $@
$(BUILD)/%.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) -O3 -Xcompiler -fPIC $(INCLUDES) -c $< -o $@

$(BUILD)/libdarknet.a: $(LIB_OBJ)
	ar rcs $@ $^
$(BUILD)/libdarknet.so: $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) $^ -o $@ $(LDLIBS)
$(BUILD)/darknet: $(CLI_OBJ) $(BUILD)/libdarknet.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)
darknet: $(BUILD)/darknet
	@[ "$(SANITIZE)" = 1 ] || cp $< $@

$(BUILD)/run_tests: $(TEST_OBJ) $(BUILD)/libdarknet.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# OpenCV's darknet reader, for the cross-check test (skipped when not installed)
$(BUILD)/opencv_check: tests/opencv/opencv_check.cpp
	@mkdir -p $(dir $@)
	$(CXX) -O2 -std=c++17 $< -o $@ $(shell pkg-config --cflags --libs opencv4)
# Makes and measures the videos of the `detector demo` test (OPENCV=1 builds)
$(BUILD)/video_tool: tests/opencv/video_tool.cpp
	@mkdir -p $(dir $@)
	$(CXX) -O2 -std=c++17 $< -o $@ $(shell pkg-config --cflags --libs opencv4)
# Our side of that check: saves random weights, dumps chosen layers' outputs, compares
$(BUILD)/dump_outputs: $(BUILD)/tests/opencv/dump_outputs.o $(BUILD)/libdarknet.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

deps:
	@scripts/install_deps.sh

# The checks of training over several processes (tests/cli/mpi.sh) run a `make MPI=1` build
# beside this one when Open MPI is installed (deps installs it); not under SANITIZE=1 (Open
# MPI's own allocations would read as leaks).
ifeq ($(MPI),1)
MPI_BUILD := $(BUILD)
else
MPI_BUILD := $(BUILD)-mpi
endif

# The whole suite: unit tests, then the CLI and OpenCV cross-check scripts.
test: deps
	@$(MAKE) --no-print-directory darknet $(BUILD)/run_tests $(BUILD)/dump_outputs
	@if pkg-config --exists opencv4; then $(MAKE) --no-print-directory $(BUILD)/opencv_check; fi
	@if [ "$(OPENCV)" = 1 ]; then $(MAKE) --no-print-directory $(BUILD)/video_tool; fi
	@if [ "$(SANITIZE)" != 1 ] && command -v $(MPICC) > /dev/null; then \
		$(MAKE) --no-print-directory MPI=1 $(MPI_BUILD)/darknet $(MPI_BUILD)/run_tests; fi
	@if [ "$(SANITIZE)" != 1 ] && command -v $(MPICC) > /dev/null; then \
		export DARKNET_MPI=$(MPI_BUILD)/darknet RUN_TESTS_MPI=$(MPI_BUILD)/run_tests; fi; \
	DARKNET=$(BUILD)/darknet OPENCV_CHECK=$(BUILD)/opencv_check VIDEO_TOOL=$(BUILD)/video_tool \
		tests/run_all.sh $(BUILD)/run_tests

demo: deps darknet
	@scripts/demo_detect.sh

demo-classify: deps darknet
	@scripts/demo_classify.sh

demo-distill: deps darknet
	@scripts/demo_distill.sh

bench: deps darknet
	@scripts/bench_resnet18.sh

# libFuzzer harnesses (tests/fuzz/fuzz_*.c), built by clang with AddressSanitizer and
# UndefinedBehaviorSanitizer into build-fuzz/ (the library without OpenBLAS, and stb_image
# compiled in so that it is instrumented too). `make fuzz` makes the seed corpora and runs each
# harness for FUZZ_SECONDS (FUZZ_ONLY=NAME: just fuzz_NAME); see README, "Fuzzing".
FUZZ_CC      ?= clang
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_ONLY    ?=
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -pthread $(INCLUDES) -MMD -MP -O1 -g \
                $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/tests/fuzz/stb_image_impl.o
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJ     := $(FUZZ_BIN:$(FUZZ_BUILD)/%=$(FUZZ_BUILD)/tests/fuzz/%.o)
.SECONDARY: $(FUZZ_OBJ)

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@
# third-party code: AddressSanitizer only (stb's harmless undefined behaviour, such as NULL + 0,
# would stop every run)
$(FUZZ_BUILD)/tests/fuzz/stb_image_impl.o: FUZZ_CFLAGS += -w -fno-sanitize=undefined
$(FUZZ_BUILD)/libdarknet.a: $(FUZZ_LIB_OBJ)
	ar rcs $@ $^
$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/libdarknet.a
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) $^ -o $@ -lstb -lturbojpeg -lcjson -lm -pthread

fuzz-build: $(FUZZ_BIN)
fuzz: deps
	@scripts/install_fuzz_deps.sh
	@$(MAKE) --no-print-directory $(BUILD)/darknet fuzz-build
	@DARKNET=$(BUILD)/darknet FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) \
		scripts/fuzz.sh $(addprefix fuzz_,$(FUZZ_ONLY))

clean:
	rm -rf build build-sanitize build-opencv build-sanitize-opencv build-fuzz darknet \
		build-mpi build-sanitize-mpi build-opencv-mpi build-sanitize-opencv-mpi

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)

# darknet: build with `make`, test with `make test`, try it with `make demo`.
# Switches: GPU=0/1 CUDNN=0/1 GPU_EMU=0/1 OPENCV=0/1 OPENBLAS=1/0 DNNL=1/0 DEBUG=0/1 SANITIZE=0/1 MPI=0/1
GPU      ?= 0
CUDNN    ?= 0
# GPU_EMU=1: the GPU build's code with its device emulated in host memory (kernels
# run as host loops, cuBLAS as the CPU gemm), so the device path runs and is
# tested where there is no GPU (make test, under the sanitizers too)
GPU_EMU  ?= 0
ifeq ($(GPU_EMU),1)
override GPU := 1
endif
OPENCV   ?= 0
OPENBLAS ?= 1
# DNNL=1: convolutions on oneDNN (Debian's libdnnl-dev) where they are faster (src/ops/conv_dnnl.h);
# on by default when the library is installed. DNNL=0 best in its own tree: BUILD=build-nodnnl.
DNNL     ?= $(if $(wildcard /usr/include/dnnl.h),1,0)
DEBUG    ?= 0
SANITIZE ?= 0
# MPI=1: training over several processes and hosts with Open MPI (mpirun -np N ./darknet ...)
MPI      ?= 0
MPICC    ?= mpicc
# -march=native: darknet is built where it runs; set ARCH= for a portable build.
ARCH     ?= -march=native

CC       ?= gcc
CXX      ?= g++
# CUDA: nvcc from PATH or the toolkit's usual place; sm_90 is the H100/H200 generation
NVCC     ?= $(shell command -v nvcc || echo /usr/local/cuda/bin/nvcc)
CUDA_ARCH ?= sm_90
CUDA_LIB := $(dir $(NVCC))../lib64
BUILD    ?= build
# Separate build trees per configuration so switching flags never mixes objects.
ifeq ($(SANITIZE),1)
override BUILD := $(BUILD)-sanitize
endif
ifeq ($(OPENCV),1)
override BUILD := $(BUILD)-opencv
endif
# GPU objects go to BUILD-gpu (BUILD-gpu-cudnn), unless BUILD already names such a directory
ifeq ($(GPU)$(findstring -gpu,$(BUILD)),1)
override BUILD := $(BUILD)-gpu
ifeq ($(CUDNN),1)
override BUILD := $(BUILD)-cudnn
endif
ifeq ($(GPU_EMU),1)
override BUILD := $(BUILD)-emu
endif
endif
# MPI objects go to BUILD-mpi, unless BUILD already names such a directory
ifeq ($(MPI)$(filter %-mpi,$(BUILD)),1)
override BUILD := $(BUILD)-mpi
endif

# The source folders, lowest level first, as src/LAYERS lists them (make test checks the order)
SRC_DIRS := $(shell grep -v '^\#' src/LAYERS)
INCLUDES := -Iinclude $(addprefix -Isrc/,$(SRC_DIRS)) -I/usr/include/stb
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
# oneDNN's Debian build runs on OpenMP (libgomp): conv_dnnl.c sets its thread count
DNNL_SRC := src/ops/conv_dnnl.c
ifeq ($(DNNL),1)
CFLAGS   += -DDN_DNNL
LDLIBS   += -ldnnl -lgomp
endif
ifeq ($(OPENCV),1)
# video files, cameras and windows for `detector demo`: a C++ shim (src/data/video.h)
CFLAGS   += -DDN_OPENCV
CV_FLAGS := $(shell pkg-config --cflags opencv4 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs-only-L opencv4 2>/dev/null) \
            -lopencv_highgui -lopencv_videoio -lopencv_imgproc -lopencv_core -lstdc++
CPP_SRC  := src/data/video_opencv.cpp
endif
# Kernel bodies (src/core/hd.h) compile for the device and the host: every build
# where nvcc exists runs them on the CPU in the kernel tests; GPU=1 links them in.
NVCCFLAGS := -O3 -std=c++17 -arch=$(CUDA_ARCH) $(INCLUDES) -MMD -MP \
             -Xcompiler -fPIC,-Wall,-Wextra --Werror all-warnings
ifeq ($(SANITIZE),1)
NVCCFLAGS += -Xcompiler -fsanitize=address,-fsanitize=undefined,-fno-omit-frame-pointer
endif
ifeq ($(GPU_EMU),1)
ifeq ($(CUDNN),1)
$(error GPU_EMU=1 emulates cuBLAS, not cuDNN: build it without CUDNN=1)
endif
CFLAGS   += -DDN_GPU -DDN_GPU_EMU
NVCCFLAGS += -DDN_GPU_EMU
# nvcc's registration of the (empty) device code needs the static runtime only
LDLIBS   += -L$(CUDA_LIB) -lcudart_static -ldl -lrt -lstdc++
CU_SRC   := $(filter-out src/cuda/gpu.cu src/cuda/%_cudnn.cu,$(wildcard src/cuda/*.cu))
else ifeq ($(GPU),1)
CFLAGS   += -DDN_GPU -I/usr/local/cuda/include
LDLIBS   += -L$(CUDA_LIB) -lcudart -lcublas -lstdc++
CU_SRC   := $(filter-out src/cuda/gpu_emu.cu $(if $(filter 1,$(CUDNN)),,src/cuda/%_cudnn.cu),$(wildcard src/cuda/*.cu))
endif
ifeq ($(CUDNN),1)
CFLAGS   += -DDN_CUDNN
NVCCFLAGS += -DDN_CUDNN
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

# the device run loop (src/cuda/*.c) in GPU builds, its stand-in (core/gpu_none.c) in the others
GPU_OFF  := $(if $(filter 1,$(GPU)),src/core/gpu_none.c,$(wildcard src/cuda/*.c))
# ONNX export (src/export/): the C code of ONNX's own schema (libonnx-dev's onnx.proto), generated by
# protoc-c into BUILD/gen and linked with libprotobuf-c. Without those packages the build goes on and
# `darknet export onnx` says what to install (src/export/export_missing.c).
ONNX_PROTO ?= $(firstword $(wildcard /usr/include/onnx/onnx.proto))
PROTOC_C   ?= $(shell command -v protoc-c)
ifneq ($(and $(ONNX_PROTO),$(PROTOC_C),$(wildcard /usr/include/protobuf-c/protobuf-c.h)),)
ONNX_GEN := $(BUILD)/gen/onnx.pb-c.c
EXPORT_OFF := src/export/export_missing.c
CFLAGS   += -I$(BUILD)/gen -DDN_ONNX
LDLIBS   += -lprotobuf-c
else
$(warning darknet export onnx is left out of this build: install libonnx-dev protobuf-c-compiler libprotobuf-c-dev (make deps))
ONNX_GEN :=
EXPORT_OFF := $(filter-out src/export/export_missing.c,$(wildcard src/export/*.c))
endif
LIB_SRC  := $(filter-out $(DIST_OFF) $(GPU_OFF) $(EXPORT_OFF) $(if $(filter 1,$(DNNL)),,$(DNNL_SRC)),$(wildcard $(patsubst %,src/%/*.c,$(filter-out cli,$(SRC_DIRS)))))
CLI_SRC  := $(wildcard src/cli/*.c)
TEST_SRC := $(wildcard tests/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(CU_SRC:%.cu=$(BUILD)/%.o) $(CPP_SRC:%.cpp=$(BUILD)/%.o) \
            $(ONNX_GEN:%.c=%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
# The C objects remember the DNNL switch they were compiled with (the stamp is rewritten only
# when it changes), so `make DNNL=0` after `make` in one tree recompiles them, not half of them.
DNNL_STAMP := $(BUILD)/.dnnl
$(shell mkdir -p $(BUILD) && [ "$$(cat $(DNNL_STAMP) 2> /dev/null)" = "$(DNNL)" ] || echo $(DNNL) > $(DNNL_STAMP))
$(LIB_SRC:%.c=$(BUILD)/%.o) $(CLI_OBJ) $(TEST_OBJ): $(DNNL_STAMP)

.PHONY: all deps test-peers test demo demo-classify demo-distill bench clean fuzz fuzz-build
all: darknet $(BUILD)/libdarknet.a $(BUILD)/libdarknet.so

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
# the generated schema code: compiled as it comes (no -Wextra: protoc-c's own style)
$(BUILD)/gen/onnx.pb-c.c: $(ONNX_PROTO)
	@mkdir -p $(dir $@)
	$(PROTOC_C) --c_out=$(dir $@) -I$(dir $(ONNX_PROTO)) $(ONNX_PROTO)
$(BUILD)/gen/onnx.pb-c.h: $(BUILD)/gen/onnx.pb-c.c
$(BUILD)/gen/onnx.pb-c.o: $(BUILD)/gen/onnx.pb-c.c
	$(CC) $(filter-out -Wextra,$(CFLAGS)) -c $< -o $@
$(patsubst %.c,$(BUILD)/%.o,$(filter src/export/%,$(LIB_SRC))) $(BUILD)/tests/test_export_onnx.o: $(ONNX_GEN:%.c=%.h)
$(BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(filter-out -std=c11,$(CFLAGS)) -std=c++17 $(CV_FLAGS) -c $< -o $@
$(BUILD)/%.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCCFLAGS) -c $< -o $@

$(BUILD)/libdarknet.a: $(LIB_OBJ)
	ar rcs $@ $^
# -z defs: a symbol the library uses but no object or library defines fails
# here, not when python/darknet.py loads it
$(BUILD)/libdarknet.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-z,defs $(LDFLAGS) $^ -o $@ $(LDLIBS)
$(BUILD)/darknet: $(CLI_OBJ) $(BUILD)/libdarknet.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)
darknet: $(BUILD)/darknet
	@[ "$(SANITIZE)" = 1 ] || cp $< $@

$(BUILD)/run_tests: $(TEST_OBJ) $(BUILD)/libdarknet.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# The kernel bodies run on the CPU against the CPU layers (no GPU needed), and
# (GPU=1) the kernels launched on a GPU against the same (scripts/gpu_check.sh).
TEST_HARNESS := $(BUILD)/tests/test_main.o $(BUILD)/tests/test_util.o
KERNEL_TEST_OBJ := $(patsubst %.cu,$(BUILD)/%.o,$(wildcard tests/cuda/host_*.cu))
GPU_TEST_OBJ := $(patsubst %.cu,$(BUILD)/%.o,$(wildcard tests/cuda/device_*.cu) tests/cuda/gpu_test.cu)
$(BUILD)/tests/cuda/%.o: NVCCFLAGS += -Itests
$(BUILD)/kernel_tests: $(KERNEL_TEST_OBJ) $(TEST_HARNESS) $(BUILD)/libdarknet.a
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -L$(CUDA_LIB) -lcudart_static -ldl -lrt -lstdc++
$(BUILD)/gpu_tests: $(GPU_TEST_OBJ) $(TEST_HARNESS) $(BUILD)/libdarknet.a
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

# What the tests compare against (PyTorch, ONNX Runtime, pycocotools)
test-peers: deps
	@scripts/install_test_peers.sh

# The checks of training over several processes (tests/cli/mpi.sh) run a `make MPI=1` build
# beside this one when Open MPI is installed (deps installs it); not under SANITIZE=1 (Open
# MPI's own allocations would read as leaks).
ifeq ($(MPI),1)
MPI_BUILD := $(BUILD)
else
MPI_BUILD := $(BUILD)-mpi
endif

# The device path on the emulated device, beside this build (the name its own make computes)
EMU_BUILD := $(BUILD)-gpu-emu

# The whole suite: unit tests, the kernels (bodies on the CPU, the device path on the
# emulated device) where nvcc is installed, then the CLI and OpenCV cross-check scripts.
test: test-peers
	@$(MAKE) --no-print-directory darknet $(BUILD)/run_tests $(BUILD)/dump_outputs $(BUILD)/libdarknet.so
	@if pkg-config --exists opencv4; then $(MAKE) --no-print-directory $(BUILD)/opencv_check; fi
	@if [ -x "$(NVCC)" ]; then $(MAKE) --no-print-directory $(BUILD)/kernel_tests && \
		$(MAKE) --no-print-directory GPU_EMU=1 $(EMU_BUILD)/gpu_tests $(EMU_BUILD)/darknet $(EMU_BUILD)/libdarknet.so; fi
	@if [ "$(OPENCV)" = 1 ]; then $(MAKE) --no-print-directory $(BUILD)/video_tool; fi
	@if [ "$(SANITIZE)" != 1 ] && command -v $(MPICC) > /dev/null; then \
		$(MAKE) --no-print-directory MPI=1 $(MPI_BUILD)/darknet $(MPI_BUILD)/run_tests; fi
	@if [ "$(SANITIZE)" != 1 ] && command -v $(MPICC) > /dev/null; then \
		export DARKNET_MPI=$(MPI_BUILD)/darknet RUN_TESTS_MPI=$(MPI_BUILD)/run_tests; fi; \
	DARKNET=$(BUILD)/darknet OPENCV_CHECK=$(BUILD)/opencv_check VIDEO_TOOL=$(BUILD)/video_tool \
		KERNEL_TESTS=$(BUILD)/kernel_tests GPU_TESTS=$(EMU_BUILD)/gpu_tests DARKNET_GPU_EMU=$(EMU_BUILD)/darknet \
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
# (the ONNX exporter and oneDNN are left out: no harness reaches them)
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(filter-out src/export/% $(DNNL_SRC),$(LIB_SRC))) \
                $(FUZZ_BUILD)/tests/fuzz/stb_image_impl.o
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
		build-mpi build-sanitize-mpi build-opencv-mpi build-sanitize-opencv-mpi build-gpu* build-*-gpu*

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BUILD)/tests/opencv/dump_outputs.d $(KERNEL_TEST_OBJ:.o=.d) $(GPU_TEST_OBJ:.o=.d) $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)

"""darknet: the library (libdarknet.so) from Python, through ctypes and numpy.

    import darknet
    with darknet.Network("cfg/yolov3-tiny.cfg", "yolov3-tiny.weights", data="coco.data") as net:
        for name, score, (x, y, w, h) in net.detect("dog.jpg", thresh=0.25):
            print(name, score, x, y, w, h)

Nothing is compiled: the module loads libdarknet.so from $DARKNET_LIB, from
its own folder, or from the build/ folder of the checkout it sits in. Arrays
are float32 NCHW (images in [0, 1]) like the library's; errors raise
DarknetError with the library's message (file, line and key of a bad cfg).
The calls go through darknet_api.h, the same functions the darknet commands
run (detect is `darknet detector test`, train_step one iteration of
`detector train`).
"""
import ctypes
import math
import os

import numpy as np

__all__ = ["DarknetError", "Network", "Layer", "Detection", "load_library"]

API_VERSION = 1
MAX_BOXES = 100   # DN_MAX_BOXES: truth boxes per image of a detector


class DarknetError(RuntimeError):
    """A failure the library reported; str() is its message."""


class _Detection(ctypes.Structure):
    _fields_ = [("class_id", ctypes.c_int), ("score", ctypes.c_float), ("x", ctypes.c_float),
                ("y", ctypes.c_float), ("w", ctypes.c_float), ("h", ctypes.c_float)]


_P = ctypes.c_void_p
_FLOATS = ctypes.POINTER(ctypes.c_float)
_INT3 = ctypes.c_int * 3
_INT4 = ctypes.c_int * 4
_SIGNATURES = {
    "dn_api_version": (ctypes.c_int, []),
    "dn_last_error": (ctypes.c_char_p, []),
    "dn_net_load": (_P, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]),
    "dn_net_free": (None, [_P]),
    "dn_net_input_shape": (ctypes.c_int, [_P, _INT3]),
    "dn_net_outputs": (ctypes.c_int, [_P]),
    "dn_net_truths": (ctypes.c_int, [_P]),
    "dn_net_classes": (ctypes.c_int, [_P]),
    "dn_net_layers": (ctypes.c_int, [_P]),
    "dn_net_predict": (ctypes.c_int, [_P, _FLOATS, ctypes.c_int, _FLOATS]),
    "dn_layer_info": (ctypes.c_int, [_P, ctypes.c_int, _INT4, ctypes.POINTER(ctypes.c_char_p)]),
    "dn_layer_output": (ctypes.c_int, [_P, ctypes.c_int, _FLOATS]),
    "dn_net_detect_file": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_float,
                                          ctypes.POINTER(ctypes.POINTER(_Detection)), ctypes.c_int * 2]),
    "dn_net_detect_pixels": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                            ctypes.c_float, ctypes.POINTER(ctypes.POINTER(_Detection))]),
    "dn_free": (None, [_P]),
    "dn_net_train_step": (ctypes.c_float, [_P, _FLOATS, _FLOATS, ctypes.c_int]),
    "dn_net_save": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "dn_class_labels": (ctypes.POINTER(ctypes.c_char_p), [ctypes.c_char_p, ctypes.c_int,
                                                          ctypes.POINTER(ctypes.c_int)]),
    "dn_free_labels": (None, [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int]),
}

_lib = None
_lib_path = None


def _candidates():
    here = os.path.dirname(os.path.abspath(__file__))
    if os.environ.get("DARKNET_LIB"):
        yield os.environ["DARKNET_LIB"]
    yield os.path.join(here, "libdarknet.so")
    yield os.path.join(here, os.pardir, "build", "libdarknet.so")


def load_library(path=None):
    """Loads libdarknet.so (path, else $DARKNET_LIB, the module's folder, ../build/), once a process."""
    global _lib, _lib_path
    if _lib is not None:
        if path is not None and os.path.abspath(path) != _lib_path:
            raise DarknetError("%s is loaded already: one library a process" % _lib_path)
        return _lib
    tried = [path] if path else list(_candidates())
    found = next((p for p in tried if os.path.isfile(p)), None)
    if not found:
        raise DarknetError("libdarknet.so not found (tried %s): run make, or set DARKNET_LIB" % ", ".join(tried))
    lib = ctypes.CDLL(os.path.abspath(found))
    if not hasattr(lib, "dn_api_version") or lib.dn_api_version() != API_VERSION:
        raise DarknetError("%s does not provide darknet_api.h version %d: rebuild it" % (found, API_VERSION))
    for name, (restype, argtypes) in _SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    _lib, _lib_path = lib, os.path.abspath(found)
    return lib


def _error(what):
    message = _lib.dn_last_error().decode("utf-8", "replace")
    return DarknetError(message or what)


def _check(status, what):
    if status < 0:
        raise _error(what)
    return status


def _floats(a):
    return a.ctypes.data_as(_FLOATS)


def _path(p):
    return os.fsencode(p) if p is not None else None


class Detection(tuple):
    """(name, score, (x, y, w, h)): the box in pixels of the image, x, y its
    top-left corner; also .name, .score, .box and .class_id."""

    def __new__(cls, name, score, box, class_id):
        self = tuple.__new__(cls, (name, score, box))
        self.class_id = class_id
        return self

    name = property(lambda self: self[0])
    score = property(lambda self: self[1])
    box = property(lambda self: self[2])


class Layer:
    """Layer i of a network, as its last forward left it."""

    def __init__(self, net, index):
        self._net, self.index = net, index

    def _info(self):
        shape, kind = _INT4(), ctypes.c_char_p()
        _check(_lib.dn_layer_info(self._net._handle(), self.index, shape, ctypes.byref(kind)), "layer")
        return tuple(shape), kind.value.decode()

    @property
    def type(self):
        """Its cfg section name, e.g. "convolutional"."""
        return self._info()[1]

    @property
    def shape(self):
        """(batch, channels, height, width) of its output."""
        return self._info()[0]

    @property
    def output(self):
        """A copy of its output after the last forward, shaped (batch, channels, height, width)."""
        out = np.empty(self.shape, dtype=np.float32)
        _check(_lib.dn_layer_output(self._net._handle(), self.index, _floats(out)), "layer output")
        return out


class Network:
    """A network from a darknet cfg and optional .weights.

    train=False builds it for inference only (no gradient buffers); train=True
    lets train_step() update it. data: a .data file whose names= labels the
    detections (as `darknet detector test`); without one, classes are named
    "class K". gpu: the device to run on (a `make GPU=1` library), None for
    the host. Free it with close(), a with block, or by dropping it.
    """

    def __init__(self, cfg, weights=None, train=False, data=None, gpu=None):
        load_library()
        self._net = None
        handle = _lib.dn_net_load(_path(cfg), _path(weights), int(bool(train)), -1 if gpu is None else int(gpu))
        if not handle:
            raise _error("cannot load %s" % cfg)
        self._net = handle
        shape = _INT3()
        _lib.dn_net_input_shape(handle, shape)
        self.input_shape = tuple(shape)            # (channels, height, width)
        self.classes = _lib.dn_net_classes(handle)
        self.names = self._labels(data)

    def _labels(self, data):
        if data is None:
            return ["class %d" % k for k in range(self.classes)]
        n = ctypes.c_int()
        labels = _lib.dn_class_labels(_path(data), self.classes, ctypes.byref(n))
        if not labels:
            raise _error("cannot read %s" % data)
        names = [labels[i].decode("utf-8", "replace") for i in range(n.value)]
        _lib.dn_free_labels(labels, n.value)
        return names

    def _handle(self):
        if not self._net:
            raise DarknetError("the network is closed")
        return self._net

    def close(self):
        """Frees the network; later calls raise DarknetError."""
        if getattr(self, "_net", None) and _lib is not None:
            _lib.dn_net_free(self._net)
        self._net = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def __len__(self):
        return _lib.dn_net_layers(self._handle())

    def layer(self, i):
        """Layer i (negative counts from the end)."""
        n = len(self)
        if not -n <= i < n:
            raise IndexError("layer %d of a network of %d layers" % (i, n))
        return Layer(self, i % n)

    def _images(self, images):
        x = np.ascontiguousarray(images, dtype=np.float32)
        if x.shape == self.input_shape:
            x = x[None]
        if x.ndim != 4 or x.shape[1:] != self.input_shape:
            raise ValueError("images of shape %s: expected (N,) + %s (NCHW)" % (x.shape, self.input_shape))
        return x

    def predict(self, images):
        """The last layer's output in inference mode for an NCHW float array (or one CHW image)."""
        x = self._images(images)
        out = np.empty((x.shape[0], _lib.dn_net_outputs(self._handle())), dtype=np.float32)
        _check(_lib.dn_net_predict(self._net, _floats(x), x.shape[0], _floats(out)), "predict")
        return out

    def detect(self, image, thresh=0.25):
        """Detections of `darknet detector test`: a list of (name, score, (x, y, w, h)) in pixels.

        image: a file path (decoded by the library, as the command does) or a
        uint8 array, H x W x 3 RGB (or x 4 RGBA, H x W grey, H x W x 2)."""
        out = ctypes.POINTER(_Detection)()
        if isinstance(image, (str, bytes, os.PathLike)):
            size = (ctypes.c_int * 2)()
            n = _lib.dn_net_detect_file(self._handle(), _path(image), thresh, ctypes.byref(out), size)
        else:
            px = np.asarray(image)
            if px.dtype != np.uint8:
                raise ValueError("pixels of type %s: expected uint8 (H x W x C)" % px.dtype)
            px = np.ascontiguousarray(px[:, :, None] if px.ndim == 2 else px)
            if px.ndim != 3:
                raise ValueError("pixels of shape %s: expected H x W or H x W x C" % (px.shape,))
            h, w, c = px.shape
            n = _lib.dn_net_detect_pixels(self._handle(), px.ctypes.data_as(ctypes.c_char_p), w, h, c, thresh,
                                          ctypes.byref(out))
        _check(n, "detect")
        dets = [Detection(self.names[d.class_id], d.score, (d.x, d.y, d.w, d.h), d.class_id)
                for d in (out[i] for i in range(n))]
        _lib.dn_free(out)
        return dets

    def _truths(self, truths, n):
        width = _lib.dn_net_truths(self._handle())
        if isinstance(truths, np.ndarray) and truths.shape == (n, width):
            return np.ascontiguousarray(truths, dtype=np.float32)
        if len(truths) != n:
            raise ValueError("%d truths for %d images" % (len(truths), n))
        if width != MAX_BOXES * 5:
            raise ValueError("this network reads %d truth floats per image: pass an (N, %d) array" % (width, width))
        t = np.zeros((n, MAX_BOXES, 5), dtype=np.float32)
        for i, boxes in enumerate(truths):
            b = np.asarray(boxes, dtype=np.float32).reshape(-1, 5)
            if len(b) > MAX_BOXES:
                raise ValueError("image %d has %d boxes; at most %d" % (i, len(b), MAX_BOXES))
            t[i, :len(b)] = b
        return t.reshape(n, width)

    def train_step(self, images, truths):
        """One optimisation step on a batch; returns the loss per image.

        images: N x C x H x W floats at the network's input size (N a
        multiple of the cfg's subdivisions). truths: for a detector, per
        image a list of boxes (x, y, w, h, class), centre and size relative
        to the input; else an (N, truths) array as the loss layer reads it
        (a classifier's one-hot rows)."""
        x = self._images(images)
        t = self._truths(truths, x.shape[0])
        loss = _lib.dn_net_train_step(self._handle(), _floats(x), _floats(t), x.shape[0])
        if math.isnan(loss) and _lib.dn_last_error():
            raise _error("train step")
        return loss

    def save(self, path):
        """Saves the weights in darknet's format (a temporary file renamed into place)."""
        _check(_lib.dn_net_save(self._handle(), _path(path)), "save")

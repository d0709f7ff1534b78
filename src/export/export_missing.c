/* export_missing.c: the ONNX exporter of a build without protobuf-c or ONNX's
 * schema (the Makefile links this file then): it says what to install. */
#include "errors.h"
#include "export_onnx.h"

int export_onnx(const onnx_export_options *o)
{
    (void)o;
    return dn_error("this darknet was built without ONNX export: install libonnx-dev, protobuf-c-compiler and "
                    "libprotobuf-c-dev (scripts/install_deps.sh does) and rebuild");
}

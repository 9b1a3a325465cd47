/*
 * The host's libfdt, for tests that use it as an oracle or to build what dtc refuses to. Its
 * fdt_address_cells, fdt_size_cells and fdt32_to_cpu share names with Tandem's FDT reader
 * (tandem/fdt.h): they are renamed here, so include this before tandem/fdt.h.
 */
#ifndef TANDEM_TEST_HOST_LIBFDT_H
#define TANDEM_TEST_HOST_LIBFDT_H

#define fdt_address_cells libfdt_address_cells
#define fdt_size_cells	  libfdt_size_cells
#define fdt32_to_cpu	  libfdt32_to_cpu
#include <libfdt.h>
#undef fdt_address_cells
#undef fdt_size_cells
#undef fdt32_to_cpu

#endif

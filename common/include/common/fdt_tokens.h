/* The flattened device tree's magic number and structure-block tokens (devicetree spec 5.1, 5.4.1).
 */
#ifndef COMMON_FDT_TOKENS_H
#define COMMON_FDT_TOKENS_H

#define FDT_MAGIC      0xd00dfeedU
#define FDT_BEGIN_NODE 1U
#define FDT_END_NODE   2U
#define FDT_PROP       3U
#define FDT_NOP	       4U
#define FDT_END	       9U

#endif

/*
 * The per-VM emulated devices, in creation and reset order (destroyed in reverse). Adding
 * a device: its file defines a struct vdev_ops, and one line here names it.
 */
#include <tandem/channel.h>
#include <tandem/passthrough.h>
#include <tandem/vdev.h>
#include <tandem/vgic.h>
#include <tandem/vpl011.h>
#include <tandem/vscmi.h>
#include <tandem/vwdog.h>

const struct vdev_ops *const vdev_table[] = {
    &vgic_vdev,	       /* first: the others drive its interrupt lines or read its routing */
    &vpl011_vdev,      /* the console UART */
    &passthrough_vdev, /* after the vGIC: its SPIs follow the vGIC's routing */
    &channel_vdev,     /* shared regions, link words; doorbells are vGIC SPIs */
    &vwdog_vdev,       /* the SBSA watchdog; WS0 is a vGIC SPI */
    &vscmi_vdev,       /* the SCMI platform (clocks) of a frequency domain's controller */
};
const unsigned vdev_table_len = ARRAY_SIZE(vdev_table);

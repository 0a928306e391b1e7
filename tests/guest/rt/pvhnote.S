/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/rt/pvhnote.S: the Xen PVH entry note that marks a PVH guest. */

#define XEN_ELFNOTE_PHYS32_ENTRY	18

	/* Elf64_Nhdr has 4-byte fields; QEMU and Linux align notes to 4. */
	.section .note.Xen, "a", @note
	.balign	4
	.long	2f - 1f			/* namesz */
	.long	4f - 3f			/* descsz */
	.long	XEN_ELFNOTE_PHYS32_ENTRY
1:	.asciz	"Xen"
2:	.balign	4
3:	.long	pvh_start32		/* 32-bit physical entry */
4:	.balign	4

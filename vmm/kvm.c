// SPDX-License-Identifier: Apache-2.0
/* vmm/kvm.c: thin wrappers over the KVM ioctls: 0 or -errno, nothing more. */
#include "kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

int kvm_ioctl(int fd, unsigned long req, void *arg)
{
	int ret = ioctl(fd, req, arg);

	return ret < 0 ? -errno : ret;
}

static const struct {
	long cap;		/* KVM_CAP_* */
	const char *why;	/* what the user is told when it is missing */
} kvm_required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM lacks KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_IRQCHIP, "KVM lacks an in-kernel irqchip" },
	{ KVM_CAP_IOEVENTFD, "KVM lacks ioeventfd" },
	{ KVM_CAP_IRQFD, "KVM lacks irqfd" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM lacks KVM_CAP_IMMEDIATE_EXIT" },
};

int kvm_open(struct kvm *kvm, const char **why)
{
	int ret;

	kvm->vm_fd = -1;
	kvm->dev_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm->dev_fd < 0) {
		*why = "cannot open /dev/kvm";
		return -errno;
	}
	ret = kvm_ioctl(kvm->dev_fd, KVM_GET_API_VERSION, NULL);
	if (ret != KVM_API_VERSION) {
		*why = "unsupported KVM API version";
		ret = ret < 0 ? ret : -ENOTSUP;
		goto err_close_dev;
	}
	for (size_t i = 0; i < sizeof(kvm_required_caps) /
			       sizeof(kvm_required_caps[0]); i++) {
		if (kvm_ioctl(kvm->dev_fd, KVM_CHECK_EXTENSION,
			      (void *)kvm_required_caps[i].cap) <= 0) {
			*why = kvm_required_caps[i].why;
			ret = -ENOTSUP;
			goto err_close_dev;
		}
	}
	ret = kvm_ioctl(kvm->dev_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (ret <= 0) {
		*why = "KVM_GET_VCPU_MMAP_SIZE failed";
		ret = ret < 0 ? ret : -EINVAL;
		goto err_close_dev;
	}
	kvm->run_size = (size_t)ret;
	ret = kvm_ioctl(kvm->dev_fd, KVM_CHECK_EXTENSION,
			(void *)KVM_CAP_MAX_VCPUS);
	if (ret <= 0)
		ret = kvm_ioctl(kvm->dev_fd, KVM_CHECK_EXTENSION,
				(void *)KVM_CAP_NR_VCPUS);
	/* KVM's documented fallback when neither answers. */
	kvm->max_vcpus = ret > 0 ? (unsigned int)ret : 4;

	ret = kvm_ioctl(kvm->dev_fd, KVM_CREATE_VM, NULL);
	if (ret < 0) {
		*why = "KVM_CREATE_VM failed";
		goto err_close_dev;
	}
	kvm->vm_fd = ret;
	return 0;

err_close_dev:
	close(kvm->dev_fd);
	kvm->dev_fd = -1;
	return ret;
}

void kvm_close(struct kvm *kvm)
{
	if (!kvm)
		return;
	if (kvm->vm_fd >= 0)
		close(kvm->vm_fd);
	if (kvm->dev_fd >= 0)
		close(kvm->dev_fd);
	kvm->vm_fd = kvm->dev_fd = -1;
}

int kvm_check_cap(const struct kvm *kvm, long cap)
{
	return kvm_ioctl(kvm->vm_fd, KVM_CHECK_EXTENSION, (void *)cap);
}

int kvm_signal_msi(const struct kvm *kvm, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};
	int ret = kvm_ioctl(kvm->vm_fd, KVM_SIGNAL_MSI, &msi);

	return ret < 0 ? ret : 0;
}

int kvm_set_memory(const struct kvm *kvm, uint32_t slot, gpa_t addr,
		   uint64_t size, void *host)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = addr.v,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	return kvm_ioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

int kvm_vcpu_create(const struct kvm *kvm, unsigned int id, int *fd,
		    struct kvm_run **run)
{
	void *p;
	int ret = kvm_ioctl(kvm->vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)id);

	if (ret < 0)
		return ret;
	p = mmap(NULL, kvm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, ret,
		 0);
	if (p == MAP_FAILED) {
		int err = -errno;

		close(ret);
		return err;
	}
	*fd = ret;
	*run = p;
	return 0;
}

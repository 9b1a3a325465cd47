/*
 * The few system calls and string helpers the libc-less guest tools need (guests/linux/tools:
 * static arm64 binaries built with -nostdlib -ffreestanding, tools/build-images.sh). Linux
 * arm64 system call numbers (include/uapi/asm-generic/unistd.h); each returns -errno on failure.
 */
#ifndef TANDEM_GUEST_SYS_H
#define TANDEM_GUEST_SYS_H

#include <stddef.h>
#include <stdint.h>

#define SYS_dup3       24
#define SYS_fcntl      25
#define SYS_ioctl      29
#define SYS_renameat   38
#define SYS_faccessat  48
#define SYS_openat     56
#define SYS_close      57
#define SYS_getdents64 61
#define SYS_lseek      62
#define SYS_read       63
#define SYS_write      64
#define SYS_pread64    67
#define SYS_pwrite64   68
#define SYS_ppoll      73
#define SYS_fsync      82
#define SYS_exit_group 94
#define SYS_nanosleep  101
#define SYS_munmap     215
#define SYS_mmap       222

#define AT_FDCWD   (-100)
#define O_RDONLY   0
#define O_WRONLY   1
#define O_RDWR	   2
#define O_CREAT	   0100
#define O_TRUNC	   01000
#define O_APPEND   02000
#define O_NONBLOCK 04000
#define O_NOCTTY   0400
#define O_CLOEXEC  02000000

#define PROT_READ  1
#define PROT_WRITE 2
#define MAP_SHARED 1

#define POLLIN	0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010

#define EINTR  4
#define EAGAIN 11
#define ENOENT 2

struct pollfd {
	int fd;
	short events;
	short revents;
};

struct timespec_k {
	long tv_sec;
	long tv_nsec;
};

static inline long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

static inline long sys_open(const char *path, int flags, int mode)
{
	return sys6(SYS_openat, AT_FDCWD, (long)path, flags | O_CLOEXEC, mode, 0, 0);
}
/* rename(2): atomic within a file system, so a reader sees the old file or the new one. */
static inline long sys_rename(const char *from, const char *to)
{
	return sys6(SYS_renameat, AT_FDCWD, (long)from, AT_FDCWD, (long)to, 0, 0);
}
/* Whether `path` exists (faccessat F_OK). */
static inline int sys_exists(const char *path)
{
	return sys6(SYS_faccessat, AT_FDCWD, (long)path, 0, 0, 0, 0) == 0;
}
/* fcntl(2) F_SETFL: the file's status flags (O_NONBLOCK). */
#define F_SETFL 4
static inline long sys_setfl(int fd, int flags)
{
	return sys6(SYS_fcntl, fd, F_SETFL, flags, 0, 0, 0);
}
static inline long sys_close(int fd)
{
	return sys6(SYS_close, fd, 0, 0, 0, 0, 0);
}
static inline long sys_read(int fd, void *buf, size_t n)
{
	return sys6(SYS_read, fd, (long)buf, (long)n, 0, 0, 0);
}
static inline long sys_write(int fd, const void *buf, size_t n)
{
	return sys6(SYS_write, fd, (long)buf, (long)n, 0, 0, 0);
}
static inline long sys_pread(int fd, void *buf, size_t n, uint64_t off)
{
	return sys6(SYS_pread64, fd, (long)buf, (long)n, (long)off, 0, 0);
}
static inline long sys_pwrite(int fd, const void *buf, size_t n, uint64_t off)
{
	return sys6(SYS_pwrite64, fd, (long)buf, (long)n, (long)off, 0, 0);
}
/* Directory entries (struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, name). */
static inline long sys_getdents64(int fd, void *buf, size_t n)
{
	return sys6(SYS_getdents64, fd, (long)buf, (long)n, 0, 0, 0);
}
static inline long sys_lseek(int fd, long off, int whence)
{
	return sys6(SYS_lseek, fd, off, whence, 0, 0, 0);
}
static inline long sys_ioctl(int fd, unsigned long cmd, void *arg)
{
	return sys6(SYS_ioctl, fd, (long)cmd, (long)arg, 0, 0, 0);
}
static inline void *sys_mmap(size_t len, int prot, int flags, int fd)
{
	return (void *)sys6(SYS_mmap, 0, (long)len, prot, flags, fd, 0);
}
/* Waits up to timeout_ms (-1: forever); returns the number of ready fds or -errno. */
static inline long sys_poll(struct pollfd *fds, unsigned n, long timeout_ms)
{
	struct timespec_k ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000};

	return sys6(SYS_ppoll, (long)fds, n, timeout_ms < 0 ? 0 : (long)&ts, 0, 8, 0);
}
static inline void sys_sleep_ms(long ms)
{
	struct timespec_k ts = {ms / 1000, (ms % 1000) * 1000000};

	sys6(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
}
static inline void __attribute__((noreturn)) sys_exit(int status)
{
	sys6(SYS_exit_group, status, 0, 0, 0, 0, 0);
	for (;;)
		;
}

/* The generic timer's virtual count: the same in every VM and in Tandem's log (CNTVOFF = 0). */
static inline uint64_t counter_now(void)
{
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}
static inline uint64_t counter_freq(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

/* The compiler may call these for struct copies and initialisers even in freestanding code. */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif

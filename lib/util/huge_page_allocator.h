// An allocator for the few arrays of a large store (the hash store's entries and tables): above
// 2 MiB it maps memory itself and asks for transparent huge pages (Debian's default THP mode is
// "madvise"), so filling 150 MB costs ~70 page faults instead of ~37,000 — a fifth of a
// million-entry load's time on these machines. Below that, and where THP is off, it behaves as
// std::allocator does.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <memory>
#include <new>

namespace nb {

template <typename T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr size_t kHuge = 2 << 20;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

  static size_t mapped_bytes(size_t n) { return (n * sizeof(T) + kHuge - 1) / kHuge * kHuge; }

  T* allocate(size_t n) {
    if (n * sizeof(T) < kHuge) return std::allocator<T>().allocate(n);
    void* p = ::mmap(nullptr, mapped_bytes(n), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    ::madvise(p, mapped_bytes(n), MADV_HUGEPAGE);  // advice: failure changes nothing
    return static_cast<T*>(p);
  }

  void deallocate(T* p, size_t n) noexcept {
    if (n * sizeof(T) < kHuge) return std::allocator<T>().deallocate(p, n);
    ::munmap(p, mapped_bytes(n));
  }

  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace nb

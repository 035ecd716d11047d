// One long-lived thread that runs a backend's heavy compute calls, one at a time, for callers on
// any thread. Frameworks built with OpenMP (llama.cpp's ggml here) keep a team of worker threads
// per calling ("master") thread: when calls arrive from many threads (instances, gRPC handler
// threads of `nnwasm serve`) each grows a team of its own, libgomp sees more threads than CPUs
// and stops spinning between parallel regions, and decoding slows 2-3x. Running every call on
// one thread keeps one team. Header-only: each plugin that uses it has its own copy.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

namespace nnwasm::plugin_support {

class ComputeThread {
 public:
  ComputeThread() = default;
  ComputeThread(const ComputeThread&) = delete;
  ComputeThread& operator=(const ComputeThread&) = delete;

  ~ComputeThread() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Runs `work()` on the compute thread (started on first use) and returns its result or
  // rethrows its exception here. Calls from several threads queue in arrival order (by the
  // mutex); a call made on the compute thread itself runs inline.
  template <class Work>
  auto run(Work&& work) -> decltype(work()) {
    if (std::this_thread::get_id() == thread_id_.load(std::memory_order_relaxed)) return work();
    using Result = decltype(work());
    std::unique_lock caller(callers_);  // one job in flight: no queue to allocate
    if constexpr (std::is_void_v<Result>) {
      submit([&] { work(); });
    } else {
      Result result{};
      submit([&] { result = work(); });
      return result;
    }
  }

 private:
  // The job is type-erased as a function pointer plus its closure: nothing allocated per call.
  template <class Job>
  void submit(Job&& job) {
    std::exception_ptr failure;
    struct Frame {
      Job* job;
      std::exception_ptr* failure;
    } frame{&job, &failure};
    std::unique_lock lock(mutex_);
    if (!thread_.joinable()) {
      thread_ = std::thread([this] { serve(); });
      thread_id_.store(thread_.get_id(), std::memory_order_relaxed);
    }
    job_ = [](void* f) {
      auto* fr = static_cast<Frame*>(f);
      try {
        (*fr->job)();
      } catch (...) {
        *fr->failure = std::current_exception();
      }
    };
    job_frame_ = &frame;
    pending_.store(true, std::memory_order_release);
    wake_.notify_all();
    done_.wait(lock, [this] { return job_ == nullptr; });
    lock.unlock();
    if (failure) std::rethrow_exception(failure);
  }

  void serve() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (job_ == nullptr && !stopping_) {
        // A caller streaming tokens comes back within microseconds: watch for it a little
        // (yielding the CPU to it) before sleeping, so most steps cost no wake-up here.
        lock.unlock();
        const auto until = std::chrono::steady_clock::now() + kLinger;
        while (!pending_.load(std::memory_order_acquire) &&
               std::chrono::steady_clock::now() < until) {
          std::this_thread::yield();
        }
        lock.lock();
      }
      wake_.wait(lock, [this] { return job_ != nullptr || stopping_; });
      if (job_ == nullptr) return;  // stopping, nothing left
      void (*job)(void*) = job_;
      lock.unlock();
      job(job_frame_);
      lock.lock();
      job_ = nullptr;
      pending_.store(false, std::memory_order_relaxed);
      done_.notify_all();
    }
  }

  static constexpr std::chrono::microseconds kLinger{200};

  std::mutex callers_;  // held by the one caller whose job is submitted
  std::mutex mutex_;    // guards the fields below
  std::condition_variable wake_, done_;
  void (*job_)(void*) = nullptr;
  void* job_frame_ = nullptr;
  bool stopping_ = false;
  std::atomic<bool> pending_{false};  // job_ is set: lets the lingering thread look unlocked
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};  // read unlocked by run()
};

}  // namespace nnwasm::plugin_support

// Continuous batching (llama_backend.h, Batch): the shared llama context of the generating
// contexts of one model, and the steps that decode their sequences together.
#include <llama.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "llama_backend.h"

namespace nnwasm::llama_backend {

namespace {

using Clock = std::chrono::steady_clock;

// How long a step waits for the sequences of the last one: half the last step's time, within
// these bounds. A guest that streams is back within microseconds; one that is not (slow work
// between tokens) costs the others this once, then is not waited for until it asks again.
constexpr std::chrono::microseconds kMinWait{50}, kMaxWait{2000};
// A request waiting for a free sequence looks at its cancellation (and for a sequence to swap
// out) this often.
constexpr std::chrono::milliseconds kCancelPoll{20};
// A sequence whose guest has not asked for its next token for this long gives its seq id to a
// waiting one: its KV cells are kept in host memory until it asks again.
constexpr std::chrono::milliseconds kSwapOutIdle{100};

constexpr uint32_t kDefaultParallel = 8;

// --nn-llama-parallel / --nn-backend-option llama.parallel: sequences decoded together.
uint32_t parallel_limit(uint32_t batch_size) {
  uint32_t n = kDefaultParallel;
  if (const char* value = plugin_support::option("llama.parallel")) {
    n = static_cast<uint32_t>(std::clamp<unsigned long>(std::strtoul(value, nullptr, 10), 1,
                                                        llama_max_parallel_sequences()));
  }
  // Every running sequence has its token in each step, within batch-size.
  return std::min(n, std::max<uint32_t>(batch_size, 1));
}

}  // namespace

class Batch::Impl {
 public:
  Impl(std::shared_ptr<const Weights> weights, const Options& options)
      : weights_(std::move(weights)),
        batch_size_(std::max<uint32_t>(options.batch_size, 1)),
        ubatch_size_(std::min(options.ubatch_size, batch_size_)),
        parallel_(parallel_limit(batch_size_)),
        n_vocab_(llama_vocab_n_tokens(weights_->vocab)),
        batch_(llama_batch_init(static_cast<int32_t>(batch_size_), 0, 1)),
        running_(1, nullptr) {
    step_.reserve(parallel_ + 1);
    queue_.reserve(parallel_ * 2);
  }

  ~Impl() {
    llama_batch_free(batch_);
    if (ctx_ != nullptr) llama_free(ctx_);
  }

  bool serves(const Options& options) const {
    return batch_size_ == std::max<uint32_t>(options.batch_size, 1) &&
           ubatch_size_ == std::min(options.ubatch_size, batch_size_);
  }

  void attach(Member& member, uint32_t cells) {
    std::unique_lock lock(mutex_);
    lead(lock);  // the llama context is rebuilt by no one else, and no step is under way
    Leadership leading(*this);
    // llama.cpp rounds a context up to whole pages of 256 cells.
    const uint64_t wanted = (uint64_t{attached_cells_} + cells + 255) / 256 * 256;
    if (wanted > UINT32_MAX) {
      throw Error{NNWASM_TOO_LARGE, "the batch would need over 2^32 KV cells"};
    }
    // One seat while one context is attached: llama.cpp checks every decode's batch against all
    // 256 possible sequences of a unified KV cache (about 9% of a single stream's time on the
    // tiny model), against one of a context with one sequence.
    const uint32_t members = attached_members_ + 1;
    const uint32_t seats = members > 1 ? parallel_ : 1;
    const uint32_t running = running_count();
    if (ctx_ == nullptr || ctx_cells_ < wanted || (running == 0 && ctx_cells_ > wanted) ||
        seats > running_.size() || (seats < running_.size() && running <= seats)) {
      // Never smaller while sequences run (their cells are carried over).
      const uint64_t size = running > 0 ? std::max<uint64_t>(wanted, ctx_cells_) : wanted;
      rebuild(static_cast<uint32_t>(size), seats);  // throws with nothing changed
    }
    attached_cells_ += cells;
    attached_members_ = members;
    member.cells = cells;
    member.attached = true;
  }

  void detach(Member& member) noexcept {
    std::lock_guard lock(mutex_);
    end_sequence(member);
    if (member.attached) {
      attached_cells_ -= member.cells;
      --attached_members_;
    }
    member.attached = false;
  }

  void leave(Member& member) noexcept {
    std::lock_guard lock(mutex_);
    end_sequence(member);
  }

  void set_threads(Member& member, int32_t threads, int32_t threads_batch) {
    std::lock_guard lock(mutex_);
    member.threads = threads;
    member.threads_batch = threads_batch;
  }

  int32_t generate(Member& member, const int32_t* tokens, int32_t count, bool fresh,
                   llama_sampler* sampler, void* host_token) {
    std::unique_lock lock(mutex_);
    if (fresh) end_sequence(member);
    if (!fresh && member.seq < 0 && member.saved.empty()) {
      throw Error{NNWASM_RUNTIME_ERROR, "the sequence ended: start again from the prompt"};
    }
    member.tokens = tokens;
    member.count = count;
    member.sampler = sampler;
    member.host_token = host_token;
    member.thread = std::this_thread::get_id();
    member.failure = nullptr;
    member.pending = true;
    queue_.push_back(&member);
    arrived_.notify_one();  // a leader waiting for the sequences of the last step
    while (member.pending) {
      if (!leading_ && step_possible()) {
        run_step(lock);
        continue;
      }
      member.wake.wait_for(lock, kCancelPoll);
      // Cancelled while waiting for a step to take it (not while one decodes it).
      if (member.pending && member.step_tokens == 0 && plugin_support::cancelled(host_token)) {
        withdraw(member);
        throw Error{NNWASM_RUNTIME_ERROR, kCancelled};
      }
    }
    if (member.failure) std::rethrow_exception(std::exchange(member.failure, nullptr));
    if (member.sample_apart && member.sampler != nullptr) {
      lock.unlock();  // no step touches a member that asks for nothing
      struct Busy {   // counted while it samples (use_threads_of_step)
        std::atomic<int32_t>& n;
        explicit Busy(std::atomic<int32_t>& count) : n(count) { ++n; }
        ~Busy() { --n; }
      } busy(sampling_apart_);
      return sample_apart(member);
    }
    return member.result;
  }

  int pooling_type() {
    std::lock_guard lock(mutex_);
    return ctx_ != nullptr ? llama_pooling_type(ctx_) : LLAMA_POOLING_TYPE_NONE;
  }

 private:
  // The leader holds leading_: no other thread decodes on, or rebuilds, the llama context.
  // Threads are woken one by one, each for what it waits for (no herd of wake-ups per step).
  struct Leadership {
    explicit Leadership(Impl& impl) : impl(impl) {}
    ~Leadership() {
      impl.leading_ = false;
      impl.wake_next_leader();
    }
    Impl& impl;
  };
  void lead(std::unique_lock<std::mutex>& lock) {
    ++rebuilders_waiting_;
    idle_.wait(lock, [this] { return !leading_; });
    --rebuilders_waiting_;
    leading_ = true;
  }

  // Something may let a step run: the first request that can be in one leads it (and a
  // thread waiting to rebuild the context gets its turn).
  void wake_next_leader() {
    if (leading_) return;
    if (rebuilders_waiting_ > 0) idle_.notify_all();
    const bool free_seq = seat_available();
    for (Member* m : queue_) {
      if (m->seq >= 0 || free_seq) {
        m->wake.notify_one();
        return;
      }
    }
  }

  // Whether a step would decode anything: a pending request of a running sequence, or a
  // newcomer and a seq id for it.
  bool step_possible() const {
    const bool free_seq = seat_available();
    return std::any_of(queue_.begin(), queue_.end(),
                       [&](const Member* m) { return m->seq >= 0 || free_seq; });
  }

  // A seq id is free, or held by a sequence idle long enough to be swapped out.
  bool seat_available() const {
    return std::find(running_.begin(), running_.end(), nullptr) != running_.end() ||
           swap_out_candidate() != nullptr;
  }

  // The running sequence idle longest, if that is kSwapOutIdle or more.
  Member* swap_out_candidate() const {
    const auto cutoff = Clock::now() - kSwapOutIdle;
    Member* oldest = nullptr;
    for (Member* m : running_) {
      if (m != nullptr && !m->pending && m->last_active <= cutoff &&
          (oldest == nullptr || m->last_active < oldest->last_active)) {
        oldest = m;
      }
    }
    return oldest;
  }

  // Gives `member` a seq id (its KV cells restored when it was swapped out), swapping an idle
  // sequence out if none is free. False when it must wait; throws when its cells cannot be
  // restored. Leader only, no decode under way.
  bool seat(Member& member) {
    auto slot = std::find(running_.begin(), running_.end(), nullptr);
    if (slot == running_.end()) {
      Member* idle = swap_out_candidate();
      if (idle == nullptr || !swap_out(*idle)) return false;
      slot = running_.begin() + member_seq(*idle);
      idle->seq = -1;
      *slot = nullptr;
    }
    const auto seq = static_cast<int32_t>(slot - running_.begin());
    if (!member.saved.empty()) {
      clear_llama_error();
      const size_t n =
          llama_state_seq_set_data(ctx_, member.saved.data(), member.saved.size(), seq);
      std::vector<uint8_t>().swap(member.saved);
      if (n == 0) {
        llama_memory_seq_rm(llama_get_memory(ctx_), seq, -1, -1);
        throw Error{NNWASM_RUNTIME_ERROR,
                    "the sequence's KV cells, kept in host memory while it was idle, cannot be "
                    "restored: " +
                        llama_reason()};
      }
    }
    *slot = &member;
    member.seq = seq;
    return true;
  }

  static size_t member_seq(const Member& m) { return static_cast<size_t>(m.seq); }

  // Copies an idle sequence's KV cells to host memory and frees them (false: it stays).
  bool swap_out(Member& member) {
    clear_llama_error();
    member.saved.resize(llama_state_seq_get_size(ctx_, member.seq));
    const size_t n =
        llama_state_seq_get_data(ctx_, member.saved.data(), member.saved.size(), member.seq);
    if (n == 0) {
      std::vector<uint8_t>().swap(member.saved);
      return false;
    }
    member.saved.resize(n);
    llama_memory_seq_rm(llama_get_memory(ctx_), member.seq, -1, -1);
    member.expected = false;
    return true;
  }

  uint32_t running_count() const {
    return static_cast<uint32_t>(
        std::count_if(running_.begin(), running_.end(), [](Member* m) { return m != nullptr; }));
  }

  // Frees the member's sequence; its cells are cleared by the next step (not now: a step may be
  // decoding), before the seq id is given to anyone else.
  void end_sequence(Member& member) {
    withdraw(member);
    if (std::exchange(member.expected, false)) arrived_.notify_one();  // not waited for now
    std::vector<uint8_t>().swap(member.saved);
    member.pos = 0;
    if (member.seq < 0) return;
    running_[member_seq(member)] = nullptr;
    to_clear_.push_back(member.seq);
    member.seq = -1;
    wake_next_leader();  // a request waiting for a seq id may have this one
  }

  void withdraw(Member& member) {
    if (!member.pending) return;
    member.pending = false;
    queue_.erase(std::remove(queue_.begin(), queue_.end(), &member), queue_.end());
  }

  // A llama context with `cells` KV cells in all (unified: any sequence may use any cell) and
  // `seats` sequences, the running sequences' cells copied over (to seat 0 when there is one
  // seat; the caller leaves at most `seats` running). The old one stays when the new one cannot
  // be made.
  void rebuild(uint32_t cells, uint32_t seats) {
    llama_context_params p = llama_context_default_params();
    p.n_ctx = std::max<uint32_t>(cells, 1);
    p.n_batch = batch_size_;
    p.n_ubatch = ubatch_size_;
    p.n_seq_max = seats;
    p.kv_unified = seats > 1;
    p.n_threads = threads_;
    p.n_threads_batch = threads_batch_;
    p.no_perf = true;
    p.abort_callback = [](void* impl) { return static_cast<Impl*>(impl)->step_cancelled(); };
    p.abort_callback_data = this;
    clear_llama_error();
    llama_context* fresh = llama_init_from_model(weights_->model, p);
    if (fresh == nullptr) {
      throw Error{NNWASM_RUNTIME_ERROR, "cannot create a llama context of " +
                                            std::to_string(p.n_ctx) +
                                            " KV cells for the batch: " + llama_reason()};
    }
    // Where each running sequence sits in the new context.
    std::vector<Member*> seated(seats, nullptr);
    for (Member* m : running_) {
      if (m == nullptr) continue;
      const size_t at = seats == 1 ? 0 : member_seq(*m);
      seated[at] = m;
    }
    if (ctx_ != nullptr) {
      clear_sequences();
      for (size_t at = 0; at < seated.size(); ++at) {
        const Member* m = seated[at];
        if (m == nullptr || m->pos == 0) continue;
        state_.resize(llama_state_seq_get_size(ctx_, m->seq));
        const size_t n = llama_state_seq_get_data(ctx_, state_.data(), state_.size(), m->seq);
        if (n == 0 ||
            llama_state_seq_set_data(fresh, state_.data(), n, static_cast<int32_t>(at)) != n) {
          llama_free(fresh);
          throw Error{NNWASM_RUNTIME_ERROR,
                      "cannot carry a running sequence over to a new KV cache: " + llama_reason()};
        }
      }
      llama_free(ctx_);
      std::vector<uint8_t>().swap(state_);
    }
    for (size_t at = 0; at < seated.size(); ++at) {
      if (seated[at] != nullptr) seated[at]->seq = static_cast<int32_t>(at);
    }
    running_.swap(seated);
    ctx_ = fresh;
    ctx_cells_ = llama_n_ctx(fresh);
  }

  void clear_sequences() {
    for (int32_t seq : to_clear_) llama_memory_seq_rm(llama_get_memory(ctx_), seq, -1, -1);
    to_clear_.clear();
  }

  // Whether to stop the decode under way: a sequence in it was cancelled (the others are
  // decoded again in the next step).
  bool step_cancelled() const {
    return std::any_of(step_.begin(), step_.end(),
                       [](const Member* m) { return plugin_support::cancelled(m->host_token); });
  }

  // One team of ggml threads decodes for every sequence: as many as the step's sequences ask
  // for (each context's "threads", by default the CPUs this process may use).
  void use_threads_of_step() {
    int32_t threads = 1, threads_batch = 1;
    for (const Member* m : step_) {
      threads = std::max(threads, m->threads);
      threads_batch = std::max(threads_batch, m->threads_batch);
    }
    // A guest sampling its grammar apart keeps a core busy meanwhile: ggml's threads spin at
    // their barriers, and one more of them than there are free cores makes a step several times
    // slower (5x measured on 2 cores).
    const int32_t busy = sampling_apart_.load(std::memory_order_relaxed);
    threads = std::max(1, threads - busy);
    threads_batch = std::max(1, threads_batch - busy);
    if (threads != threads_ || threads_batch != threads_batch_) {
      llama_set_n_threads(ctx_, threads, threads_batch);
      threads_ = threads;
      threads_batch_ = threads_batch;
    }
  }

  // Greedy sampling without a sampler chain's copy of the vocabulary: the first token of the
  // highest logit, as llama.cpp's greedy sampler picks it.
  // Lane by lane (the compiler vectorizes it): each lane keeps its first highest logit; then
  // the highest of the lanes, the first index among equals.
  llama_token most_likely(const float* logits) const {
    constexpr int32_t kLanes = 16;
    int32_t best = 0, i = 1;
    if (n_vocab_ >= kLanes) {
      float top[kLanes];
      int32_t at[kLanes];
      for (int32_t j = 0; j < kLanes; ++j) top[j] = logits[at[j] = j];
      for (i = kLanes; i + kLanes <= n_vocab_; i += kLanes) {
        for (int32_t j = 0; j < kLanes; ++j) {
          const bool higher = logits[i + j] > top[j];
          top[j] = higher ? logits[i + j] : top[j];
          at[j] = higher ? i + j : at[j];
        }
      }
      best = at[0];
      for (int32_t j = 1; j < kLanes; ++j) {
        if (top[j] > logits[best] || (top[j] == logits[best] && at[j] < best)) best = at[j];
      }
    }
    for (; i < n_vocab_; ++i) {
      if (logits[i] > logits[best]) best = i;
    }
    return best;
  }

  // What llama_sampler_sample does, on the member's copy of its logits (Member::sample_apart).
  static int32_t sample_apart(Member& m) {
    thread_local std::vector<llama_token_data> candidates;  // reused by the thread's calls
    candidates.resize(m.logits.size());
    for (size_t i = 0; i < m.logits.size(); ++i) {
      candidates[i] = llama_token_data{static_cast<llama_token>(i), m.logits[i], 0.0f};
    }
    llama_token_data_array cur{candidates.data(), candidates.size(), -1, false};
    llama_sampler_apply(m.sampler, &cur);
    if (cur.selected < 0 || static_cast<size_t>(cur.selected) >= cur.size) {
      throw Error{NNWASM_RUNTIME_ERROR, "the sampler chain selected no token"};
    }
    const llama_token token = cur.data[cur.selected].id;
    llama_sampler_accept(m.sampler, token);
    return token;
  }

  // One step, led by the calling thread (`lock` held on entry and exit).
  void run_step(std::unique_lock<std::mutex>& lock) {
    leading_ = true;
    Leadership leading(*this);
    // The sequences of the last step are back within microseconds: take them in this one (not
    // those of this thread: its other contexts cannot ask while it waits).
    const auto wait = std::clamp(
        std::chrono::duration_cast<std::chrono::microseconds>(last_step_ / 2), kMinWait, kMaxWait);
    const bool all_back = arrived_.wait_until(lock, Clock::now() + wait, [this] {
      return std::none_of(running_.begin(), running_.end(), [](const Member* m) {
        return m != nullptr && m->expected && !m->pending &&
               m->thread != std::this_thread::get_id();
      });
    });
    if (!all_back) {
      for (Member* m : running_) {
        if (m != nullptr && !m->pending) m->expected = false;
      }
    }
    if (queue_.empty()) return;  // withdrawn meanwhile
    clear_sequences();
    // Newcomers (and sequences swapped out) get seq ids, in arrival order; the rest wait.
    for (size_t i = 0; i < queue_.size(); ++i) {
      Member* m = queue_[i];
      if (m->seq >= 0) continue;
      try {
        if (!seat(*m)) break;
      } catch (...) {
        m->failure = std::current_exception();
        end_sequence(*m);  // withdraws it from queue_
        m->wake.notify_one();
        --i;
      }
    }
    // One token of each running sequence first, then prompt chunks in what is left.
    batch_.n_tokens = 0;
    step_.clear();
    for (int pass = 0; pass < 2; ++pass) {
      for (Member* m : queue_) {
        if (m->seq < 0 || (m->count == 1) != (pass == 0)) continue;
        const int32_t room = static_cast<int32_t>(batch_size_) - batch_.n_tokens;
        if (room <= 0) break;
        const int32_t take = std::min(m->count, room);
        for (int32_t i = 0; i < take; ++i) {
          const int32_t at = batch_.n_tokens++;
          batch_.token[at] = m->tokens[i];
          batch_.pos[at] = m->pos + i;
          batch_.n_seq_id[at] = 1;
          batch_.seq_id[at][0] = m->seq;
          batch_.logits[at] = i == m->count - 1;
        }
        m->logits_index = take == m->count ? batch_.n_tokens - 1 : -1;
        m->step_tokens = take;
        step_.push_back(m);
      }
    }
    if (step_.empty()) return;
    use_threads_of_step();
    lock.unlock();
    const auto started = Clock::now();
    int32_t rc = 0;
    std::exception_ptr failure;
    try {
      // Sampled there too: the logits are still in the caches of the cores that wrote them.
      rc = weights_->compute.run([&] {
        clear_llama_error();  // kept per thread: read on this one
        const int32_t decoded = llama_decode(ctx_, batch_);
        if (decoded != 0) {
          step_error_ = llama_reason();
          return decoded;
        }
        for (Member* m : step_) {
          if (m->logits_index < 0) continue;
          if (m->sample_apart && m->sampler != nullptr) {
            const float* row = llama_get_logits_ith(ctx_, m->logits_index);
            m->logits.assign(row, row + n_vocab_);
            continue;
          }
          m->result = m->sampler != nullptr
                          ? llama_sampler_sample(m->sampler, ctx_, m->logits_index)
                          : most_likely(llama_get_logits_ith(ctx_, m->logits_index));
        }
        return decoded;
      });
    } catch (...) {
      failure = std::current_exception();
    }
    last_step_ = Clock::now() - started;
    lock.lock();
    finish_step(rc, failure);
  }

  // Hands out the step's results; on failure puts every sequence of it back as it was before.
  // The abort callback reads step_ during the decode: it is cleared before any member can go.
  void finish_step(int32_t rc, std::exception_ptr failure) {
    if (rc != 0 || failure) {
      const std::string& reason = step_error_;
      for (Member* m : step_) {
        m->step_tokens = 0;
        llama_memory_seq_rm(llama_get_memory(ctx_), m->seq, m->pos, -1);
        if (rc == 2 && !plugin_support::cancelled(m->host_token)) continue;  // again next step
        m->wake.notify_one();
        m->failure =
            failure
                ? failure
                : std::make_exception_ptr(rc == 2 ? Error{NNWASM_RUNTIME_ERROR, kCancelled}
                                                  : Error{NNWASM_RUNTIME_ERROR,
                                                          "llama_decode failed (" +
                                                              std::to_string(rc) + "): " + reason});
        end_sequence(*m);
      }
      step_.clear();
      return;
    }
    for (Member* m : step_) {
      const int32_t done = std::exchange(m->step_tokens, 0);
      m->pos += done;
      m->tokens += done;
      m->count -= done;
      if (m->count == 0) {
        m->expected = true;
        m->last_active = Clock::now();
        withdraw(*m);
        m->wake.notify_one();
      }
    }
    step_.clear();
  }

  const std::shared_ptr<const Weights> weights_;
  const uint32_t batch_size_, ubatch_size_, parallel_;
  const int32_t n_vocab_;
  std::atomic<int32_t> sampling_apart_{0};  // members sampling on their own threads now

  std::mutex mutex_;                 // guards everything below
  std::condition_variable arrived_;  // for the leader: a request came, or a sequence left
  std::condition_variable idle_;     // for rebuilders: no one leads
  uint32_t rebuilders_waiting_ = 0;
  bool leading_ = false;          // a thread leads a step or a rebuild
  llama_context* ctx_ = nullptr;  // used by the leader only
  int32_t threads_ = cpus_available(), threads_batch_ = cpus_available();  // ctx_'s
  uint32_t ctx_cells_ = 0;                                                 // its KV cells
  uint32_t attached_cells_ = 0;  // the sum of the attached members' cells
  uint32_t attached_members_ = 0;
  llama_batch batch_;              // the step's tokens (batch-size of them)
  std::vector<Member*> running_;   // by seq id, one per seat of ctx_; nullptr: free
  std::vector<Member*> queue_;     // pending requests, in arrival order
  std::vector<Member*> step_;      // the requests in the step under way
  std::vector<int32_t> to_clear_;  // seq ids whose cells are to be cleared
  std::vector<uint8_t> state_;     // a sequence carried over by rebuild
  Clock::duration last_step_{};
  std::string step_error_;  // llama.cpp's reason for a failed decode
};

std::shared_ptr<Batch> Batch::join(const std::shared_ptr<const Model>& model,
                                   const Options& options) {
  const Weights& weights = *model->weights;
  std::lock_guard lock(weights.batches_mutex);
  std::erase_if(weights.batches, [](const std::weak_ptr<Batch>& b) { return b.expired(); });
  for (const std::weak_ptr<Batch>& weak : weights.batches) {
    if (std::shared_ptr<Batch> batch = weak.lock(); batch && batch->impl_->serves(options)) {
      return batch;
    }
  }
  std::shared_ptr<Batch> batch(new Batch(model->weights, options));
  weights.batches.push_back(batch);
  return batch;
}

Batch::Batch(std::shared_ptr<const Weights> weights, const Options& options)
    : impl_(std::make_unique<Impl>(std::move(weights), options)) {}
Batch::~Batch() = default;

void Batch::attach(Member& member, uint32_t cells) {
  impl_->attach(member, cells);
}
void Batch::detach(Member& member) noexcept {
  impl_->detach(member);
}
void Batch::leave(Member& member) noexcept {
  impl_->leave(member);
}
void Batch::set_threads(Member& member, int32_t threads, int32_t threads_batch) {
  impl_->set_threads(member, threads, threads_batch);
}
int32_t Batch::generate(Member& member, const int32_t* tokens, int32_t count, bool fresh,
                        llama_sampler* sampler, void* host_token) {
  return impl_->generate(member, tokens, count, fresh, sampler, host_token);
}
int Batch::pooling_type() {
  return impl_->pooling_type();
}

}  // namespace nnwasm::llama_backend

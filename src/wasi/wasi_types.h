// The wasi_snapshot_preview1 ABI: errno, filetype, rights and flag values, struct sizes and field
// offsets as the guest lays them out, and the host-errno -> WASI-errno mapping.
#pragma once

#include <cstdint>

namespace nnwasm::wasi {

// __wasi_errno_t. Host functions return it widened to i32.
enum class Errno : uint16_t {
  kSuccess = 0,
  k2big = 1,
  kAcces = 2,
  kAddrinuse = 3,
  kAddrnotavail = 4,
  kAfnosupport = 5,
  kAgain = 6,
  kAlready = 7,
  kBadf = 8,
  kBadmsg = 9,
  kBusy = 10,
  kCanceled = 11,
  kChild = 12,
  kConnaborted = 13,
  kConnrefused = 14,
  kConnreset = 15,
  kDeadlk = 16,
  kDestaddrreq = 17,
  kDom = 18,
  kDquot = 19,
  kExist = 20,
  kFault = 21,
  kFbig = 22,
  kHostunreach = 23,
  kIdrm = 24,
  kIlseq = 25,
  kInprogress = 26,
  kIntr = 27,
  kInval = 28,
  kIo = 29,
  kIsconn = 30,
  kIsdir = 31,
  kLoop = 32,
  kMfile = 33,
  kMlink = 34,
  kMsgsize = 35,
  kMultihop = 36,
  kNametoolong = 37,
  kNetdown = 38,
  kNetreset = 39,
  kNetunreach = 40,
  kNfile = 41,
  kNobufs = 42,
  kNodev = 43,
  kNoent = 44,
  kNoexec = 45,
  kNolck = 46,
  kNolink = 47,
  kNomem = 48,
  kNomsg = 49,
  kNoprotoopt = 50,
  kNospc = 51,
  kNosys = 52,
  kNotconn = 53,
  kNotdir = 54,
  kNotempty = 55,
  kNotrecoverable = 56,
  kNotsock = 57,
  kNotsup = 58,
  kNotty = 59,
  kNxio = 60,
  kOverflow = 61,
  kOwnerdead = 62,
  kPerm = 63,
  kPipe = 64,
  kProto = 65,
  kProtonosupport = 66,
  kPrototype = 67,
  kRange = 68,
  kRofs = 69,
  kSpipe = 70,
  kSrch = 71,
  kStale = 72,
  kTimedout = 73,
  kTxtbsy = 74,
  kXdev = 75,
  kNotcapable = 76,
};

// Maps a Linux errno value to its WASI counterpart (unknown values become kIo).
Errno errno_from_host(int host_errno) noexcept;

// The WASI errno for the calling thread's current `errno`.
Errno last_host_errno() noexcept;

// __wasi_filetype_t.
enum class Filetype : uint8_t {
  kUnknown = 0,
  kBlockDevice = 1,
  kCharacterDevice = 2,
  kDirectory = 3,
  kRegularFile = 4,
  kSocketDgram = 5,
  kSocketStream = 6,
  kSymbolicLink = 7,
};

// __wasi_rights_t bits.
namespace rights {
inline constexpr uint64_t kFdDatasync = 1ull << 0;
inline constexpr uint64_t kFdRead = 1ull << 1;
inline constexpr uint64_t kFdSeek = 1ull << 2;
inline constexpr uint64_t kFdFdstatSetFlags = 1ull << 3;
inline constexpr uint64_t kFdSync = 1ull << 4;
inline constexpr uint64_t kFdTell = 1ull << 5;
inline constexpr uint64_t kFdWrite = 1ull << 6;
inline constexpr uint64_t kFdAdvise = 1ull << 7;
inline constexpr uint64_t kFdAllocate = 1ull << 8;
inline constexpr uint64_t kPathCreateDirectory = 1ull << 9;
inline constexpr uint64_t kPathCreateFile = 1ull << 10;
inline constexpr uint64_t kPathLinkSource = 1ull << 11;
inline constexpr uint64_t kPathLinkTarget = 1ull << 12;
inline constexpr uint64_t kPathOpen = 1ull << 13;
inline constexpr uint64_t kFdReaddir = 1ull << 14;
inline constexpr uint64_t kPathReadlink = 1ull << 15;
inline constexpr uint64_t kPathRenameSource = 1ull << 16;
inline constexpr uint64_t kPathRenameTarget = 1ull << 17;
inline constexpr uint64_t kPathFilestatGet = 1ull << 18;
inline constexpr uint64_t kPathFilestatSetSize = 1ull << 19;
inline constexpr uint64_t kPathFilestatSetTimes = 1ull << 20;
inline constexpr uint64_t kFdFilestatGet = 1ull << 21;
inline constexpr uint64_t kFdFilestatSetSize = 1ull << 22;
inline constexpr uint64_t kFdFilestatSetTimes = 1ull << 23;
inline constexpr uint64_t kPathSymlink = 1ull << 24;
inline constexpr uint64_t kPathRemoveDirectory = 1ull << 25;
inline constexpr uint64_t kPathUnlinkFile = 1ull << 26;
inline constexpr uint64_t kPollFdReadwrite = 1ull << 27;
inline constexpr uint64_t kSockShutdown = 1ull << 28;
inline constexpr uint64_t kSockAccept = 1ull << 29;
inline constexpr uint64_t kAll = (1ull << 30) - 1;
// Rights whose presence makes path_open ask the host for read or write access.
inline constexpr uint64_t kReadAccess = kFdRead | kFdReaddir;
inline constexpr uint64_t kWriteAccess = kFdDatasync | kFdWrite | kFdAllocate | kFdFilestatSetSize;

// The rights that apply to each kind of fd: an fd never holds rights outside its kind's set
// (fd_fdstat_get on a directory shows no fd_read; path_open trims what does not apply).
inline constexpr uint64_t kRegularFile =
    kFdDatasync | kFdRead | kFdSeek | kFdFdstatSetFlags | kFdSync | kFdTell | kFdWrite | kFdAdvise |
    kFdAllocate | kFdFilestatGet | kFdFilestatSetSize | kFdFilestatSetTimes | kPollFdReadwrite;
inline constexpr uint64_t kDirectory =
    kFdFdstatSetFlags | kFdSync | kPathCreateDirectory | kPathCreateFile | kPathLinkSource |
    kPathLinkTarget | kPathOpen | kFdReaddir | kPathReadlink | kPathRenameSource |
    kPathRenameTarget | kPathFilestatGet | kPathFilestatSetSize | kPathFilestatSetTimes |
    kFdFilestatGet | kFdFilestatSetTimes | kPathSymlink | kPathRemoveDirectory | kPathUnlinkFile;
// A terminal cannot seek: wasi-libc's isatty() is "character device without seek/tell".
inline constexpr uint64_t kTty = kRegularFile & ~(kFdSeek | kFdTell);
// Pipes, FIFOs and other devices: like files (the host call reports ESPIPE where it applies).
inline constexpr uint64_t kOther = kRegularFile;
inline constexpr uint64_t kSocket =
    kFdRead | kFdWrite | kFdFdstatSetFlags | kFdFilestatGet | kPollFdReadwrite | kSockShutdown;
// A listener accepts; shutting it down would only stop it listening, so it cannot.
inline constexpr uint64_t kListeningSocket = (kSocket & ~kSockShutdown) | kSockAccept;
// The host's stdio, lent to the guest: streams it reads (stdin) or writes (stdout, stderr).
// No seek, truncate or fdstat_set_flags: the open file description is shared with the
// process that started nnwasm (a shell's terminal, a log opened for appending), and a guest
// must not change it behind that process's back.
inline constexpr uint64_t kStdin = kFdRead | kFdFilestatGet | kPollFdReadwrite;
inline constexpr uint64_t kStdout = kFdWrite | kFdFilestatGet | kPollFdReadwrite;
// Rights that need an fd open for I/O; without any of them path_open opens O_PATH (which never
// blocks, e.g. on a FIFO, and needs no read permission).
inline constexpr uint64_t kNeedsOpenFile = kReadAccess | kWriteAccess | kFdSeek | kFdTell |
                                           kFdSync | kFdAdvise | kFdFdstatSetFlags |
                                           kPollFdReadwrite;
}  // namespace rights

// The rights an fd holds: `base` for operations on it, `inheriting` the most that fds opened
// through it (path_open) may get. fd_fdstat_set_rights can only take rights away.
struct Rights {
  uint64_t base = 0;
  uint64_t inheriting = 0;
};

// __wasi_fdflags_t bits.
namespace fdflags {
inline constexpr uint16_t kAppend = 1 << 0;
inline constexpr uint16_t kDsync = 1 << 1;
inline constexpr uint16_t kNonblock = 1 << 2;
inline constexpr uint16_t kRsync = 1 << 3;
inline constexpr uint16_t kSync = 1 << 4;
inline constexpr uint16_t kAll = (1 << 5) - 1;
}  // namespace fdflags

// __wasi_oflags_t bits.
namespace oflags {
inline constexpr uint16_t kCreat = 1 << 0;
inline constexpr uint16_t kDirectory = 1 << 1;
inline constexpr uint16_t kExcl = 1 << 2;
inline constexpr uint16_t kTrunc = 1 << 3;
inline constexpr uint16_t kAll = (1 << 4) - 1;
}  // namespace oflags

// __wasi_lookupflags_t bits.
inline constexpr uint32_t kLookupSymlinkFollow = 1;

// __wasi_fstflags_t bits.
namespace fstflags {
inline constexpr uint16_t kAtim = 1 << 0;
inline constexpr uint16_t kAtimNow = 1 << 1;
inline constexpr uint16_t kMtim = 1 << 2;
inline constexpr uint16_t kMtimNow = 1 << 3;
inline constexpr uint16_t kAll = (1 << 4) - 1;
}  // namespace fstflags

// __wasi_whence_t.
inline constexpr uint32_t kWhenceSet = 0;
inline constexpr uint32_t kWhenceCur = 1;
inline constexpr uint32_t kWhenceEnd = 2;

// __wasi_advice_t.
inline constexpr uint32_t kAdviceNormal = 0;
inline constexpr uint32_t kAdviceSequential = 1;
inline constexpr uint32_t kAdviceRandom = 2;
inline constexpr uint32_t kAdviceWillneed = 3;
inline constexpr uint32_t kAdviceDontneed = 4;
inline constexpr uint32_t kAdviceNoreuse = 5;

// __wasi_clockid_t.
inline constexpr uint32_t kClockRealtime = 0;
inline constexpr uint32_t kClockMonotonic = 1;
inline constexpr uint32_t kClockProcessCputime = 2;
inline constexpr uint32_t kClockThreadCputime = 3;

// __wasi_eventtype_t, __wasi_subclockflags_t, __wasi_eventrwflags_t.
inline constexpr uint8_t kEventClock = 0;
inline constexpr uint8_t kEventFdRead = 1;
inline constexpr uint8_t kEventFdWrite = 2;
inline constexpr uint16_t kSubclockAbstime = 1;
inline constexpr uint16_t kEventFdReadwriteHangup = 1;

// __wasi_preopentype_t.
inline constexpr uint8_t kPreopenDir = 0;

// __wasi_riflags_t, __wasi_roflags_t, __wasi_sdflags_t.
inline constexpr uint16_t kRiRecvPeek = 1;
inline constexpr uint16_t kRiRecvWaitall = 2;
inline constexpr uint16_t kRoRecvDataTruncated = 1;
inline constexpr uint8_t kSdRd = 1;
inline constexpr uint8_t kSdWr = 2;

// __wasi_dircookie_t value that starts a directory listing from the beginning.
inline constexpr uint64_t kDircookieStart = 0;

// Struct layouts (size and field offsets in guest memory, little-endian, unaligned access).
namespace layout {
// __wasi_iovec_t / __wasi_ciovec_t
inline constexpr uint32_t kIovecSize = 8;
inline constexpr uint32_t kIovecBuf = 0;
inline constexpr uint32_t kIovecLen = 4;
// __wasi_fdstat_t
inline constexpr uint32_t kFdstatSize = 24;
inline constexpr uint32_t kFdstatFiletype = 0;
inline constexpr uint32_t kFdstatFlags = 2;
inline constexpr uint32_t kFdstatRightsBase = 8;
inline constexpr uint32_t kFdstatRightsInheriting = 16;
// __wasi_filestat_t
inline constexpr uint32_t kFilestatSize = 64;
inline constexpr uint32_t kFilestatDev = 0;
inline constexpr uint32_t kFilestatIno = 8;
inline constexpr uint32_t kFilestatFiletype = 16;
inline constexpr uint32_t kFilestatNlink = 24;
inline constexpr uint32_t kFilestatSizeField = 32;
inline constexpr uint32_t kFilestatAtim = 40;
inline constexpr uint32_t kFilestatMtim = 48;
inline constexpr uint32_t kFilestatCtim = 56;
// __wasi_prestat_t
inline constexpr uint32_t kPrestatSize = 8;
inline constexpr uint32_t kPrestatTag = 0;
inline constexpr uint32_t kPrestatNameLen = 4;
// __wasi_dirent_t (the name follows the header, not NUL-terminated)
inline constexpr uint32_t kDirentSize = 24;
inline constexpr uint32_t kDirentNext = 0;
inline constexpr uint32_t kDirentIno = 8;
inline constexpr uint32_t kDirentNamlen = 16;
inline constexpr uint32_t kDirentType = 20;
// __wasi_subscription_t
inline constexpr uint32_t kSubscriptionSize = 48;
inline constexpr uint32_t kSubscriptionUserdata = 0;
inline constexpr uint32_t kSubscriptionTag = 8;
inline constexpr uint32_t kSubscriptionClockId = 16;
inline constexpr uint32_t kSubscriptionClockTimeout = 24;
inline constexpr uint32_t kSubscriptionClockPrecision = 32;
inline constexpr uint32_t kSubscriptionClockFlags = 40;
inline constexpr uint32_t kSubscriptionFd = 16;
// __wasi_event_t
inline constexpr uint32_t kEventSize = 32;
inline constexpr uint32_t kEventUserdata = 0;
inline constexpr uint32_t kEventError = 8;
inline constexpr uint32_t kEventType = 10;
inline constexpr uint32_t kEventNbytes = 16;
inline constexpr uint32_t kEventFlags = 24;
}  // namespace layout

// Which import module a call came through: wasi_snapshot_preview1, or wasi_unstable (preview0),
// which differs only in the whence numbering and the filestat and subscription layouts below.
enum class Abi : uint8_t { kPreview1, kPreview0 };

namespace preview0 {
// __wasi_whence_t in preview0.
inline constexpr uint32_t kWhenceCur = 0;
inline constexpr uint32_t kWhenceEnd = 1;
inline constexpr uint32_t kWhenceSet = 2;
namespace layout {
// __wasi_filestat_t: nlink is a u32 (linkcount_t), so the fields after it move up by 4.
inline constexpr uint32_t kFilestatSize = 56;
inline constexpr uint32_t kFilestatNlink = 20;
inline constexpr uint32_t kFilestatSizeField = 24;
inline constexpr uint32_t kFilestatAtim = 32;
inline constexpr uint32_t kFilestatMtim = 40;
inline constexpr uint32_t kFilestatCtim = 48;
// __wasi_subscription_t: the clock variant starts with a u64 `identifier`.
inline constexpr uint32_t kSubscriptionSize = 56;
inline constexpr uint32_t kSubscriptionClockId = 24;
inline constexpr uint32_t kSubscriptionClockTimeout = 32;
inline constexpr uint32_t kSubscriptionClockPrecision = 40;
inline constexpr uint32_t kSubscriptionClockFlags = 48;
}  // namespace layout
}  // namespace preview0

// The size of __wasi_filestat_t in `abi`.
constexpr uint32_t filestat_size(Abi abi) noexcept {
  return abi == Abi::kPreview0 ? preview0::layout::kFilestatSize : layout::kFilestatSize;
}

}  // namespace nnwasm::wasi

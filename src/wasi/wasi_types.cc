// The Linux errno -> WASI errno table.

#include "wasi/wasi_types.h"

#include <cerrno>

namespace nnwasm::wasi {

Errno errno_from_host(int host_errno) noexcept {
  switch (host_errno) {
    case 0:
      return Errno::kSuccess;
    case E2BIG:
      return Errno::k2big;
    case EACCES:
      return Errno::kAcces;
    case EADDRINUSE:
      return Errno::kAddrinuse;
    case EADDRNOTAVAIL:
      return Errno::kAddrnotavail;
    case EAFNOSUPPORT:
      return Errno::kAfnosupport;
    case EPFNOSUPPORT:
      return Errno::kAfnosupport;
    case EAGAIN:
      return Errno::kAgain;  // == EWOULDBLOCK
    case EALREADY:
      return Errno::kAlready;
    case EBADF:
      return Errno::kBadf;
    case EBADFD:
      return Errno::kBadf;
    case EBADMSG:
      return Errno::kBadmsg;
    case EBUSY:
      return Errno::kBusy;
    case ECANCELED:
      return Errno::kCanceled;
    case ECHILD:
      return Errno::kChild;
    case ECONNABORTED:
      return Errno::kConnaborted;
    case ECONNREFUSED:
      return Errno::kConnrefused;
    case ECONNRESET:
      return Errno::kConnreset;
    case EDEADLK:
      return Errno::kDeadlk;  // == EDEADLOCK
    case EDESTADDRREQ:
      return Errno::kDestaddrreq;
    case EDOM:
      return Errno::kDom;
    case EDQUOT:
      return Errno::kDquot;
    case EEXIST:
      return Errno::kExist;
    case ENOTEMPTY:
      return Errno::kNotempty;
    case EFAULT:
      return Errno::kFault;
    case EFBIG:
      return Errno::kFbig;
    case EHOSTUNREACH:
      return Errno::kHostunreach;
    case EHOSTDOWN:
      return Errno::kHostunreach;
    case EIDRM:
      return Errno::kIdrm;
    case EILSEQ:
      return Errno::kIlseq;
    case EINPROGRESS:
      return Errno::kInprogress;
    case EINTR:
      return Errno::kIntr;
    case EINVAL:
      return Errno::kInval;
    case EIO:
      return Errno::kIo;
    case EISCONN:
      return Errno::kIsconn;
    case EISDIR:
      return Errno::kIsdir;
    case ELOOP:
      return Errno::kLoop;
    case EMFILE:
      return Errno::kMfile;
    case EMLINK:
      return Errno::kMlink;
    case EMSGSIZE:
      return Errno::kMsgsize;
    case EMULTIHOP:
      return Errno::kMultihop;
    case ENAMETOOLONG:
      return Errno::kNametoolong;
    case ENETDOWN:
      return Errno::kNetdown;
    case ENETRESET:
      return Errno::kNetreset;
    case ENETUNREACH:
      return Errno::kNetunreach;
    case ENFILE:
      return Errno::kNfile;
    case ENOBUFS:
      return Errno::kNobufs;
    case ENODEV:
      return Errno::kNodev;
    case ENOMEDIUM:
      return Errno::kNodev;
    case ENOENT:
      return Errno::kNoent;
    case ENOEXEC:
      return Errno::kNoexec;
    case ENOLCK:
      return Errno::kNolck;
    case ENOLINK:
      return Errno::kNolink;
    case ENOMEM:
      return Errno::kNomem;
    case ENOMSG:
      return Errno::kNomsg;
    case ENODATA:
      return Errno::kNomsg;
    case ENOPROTOOPT:
      return Errno::kNoprotoopt;
    case ENOSPC:
      return Errno::kNospc;
    case ENOSYS:
      return Errno::kNosys;
    case ENOTCONN:
      return Errno::kNotconn;
    case ENOTDIR:
      return Errno::kNotdir;
    case ENOTRECOVERABLE:
      return Errno::kNotrecoverable;
    case ENOTSOCK:
      return Errno::kNotsock;
    case ENOTSUP:
      return Errno::kNotsup;  // == EOPNOTSUPP
    case ENOTTY:
      return Errno::kNotty;
    case ENXIO:
      return Errno::kNxio;
    case EOVERFLOW:
      return Errno::kOverflow;
    case EOWNERDEAD:
      return Errno::kOwnerdead;
    case EPERM:
      return Errno::kPerm;
    case EPIPE:
      return Errno::kPipe;
    case ESHUTDOWN:
      return Errno::kPipe;
    case EPROTO:
      return Errno::kProto;
    case EPROTONOSUPPORT:
      return Errno::kProtonosupport;
    case ESOCKTNOSUPPORT:
      return Errno::kProtonosupport;
    case EPROTOTYPE:
      return Errno::kPrototype;
    case ERANGE:
      return Errno::kRange;
    case EROFS:
      return Errno::kRofs;
    case ESPIPE:
      return Errno::kSpipe;
    case ESRCH:
      return Errno::kSrch;
    case ESTALE:
      return Errno::kStale;
    case ETIMEDOUT:
      return Errno::kTimedout;
    case ETIME:
      return Errno::kTimedout;
    case ETXTBSY:
      return Errno::kTxtbsy;
    case EXDEV:
      return Errno::kXdev;
    case ENOTBLK:
      return Errno::kNotsup;
    case ENOTUNIQ:
      return Errno::kInval;
    case ETOOMANYREFS:
      return Errno::kNobufs;
    case EUSERS:
      return Errno::kNfile;
    case ERESTART:
      return Errno::kIntr;
    default:
      return Errno::kIo;
  }
}

Errno last_host_errno() noexcept {
  return errno_from_host(errno);
}

}  // namespace nnwasm::wasi

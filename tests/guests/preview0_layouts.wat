;; An old guest that imports `wasi_unstable` (preview0) and checks where it differs from
;; preview1: whence numbering (cur=0, end=1, set=2), the 56-byte filestat with a u32 nlink, and
;; the 56-byte subscription whose clock variant starts with a u64 identifier.
;; Needs a preopened directory as fd 3. Exits 0 when all checks pass, else the failed check's
;; number, after writing "ok\n" or nothing to stdout.
(module
  (import "wasi_unstable" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_filestat_get" (func $fd_filestat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "path_filestat_get"
    (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  ;; 0x10: the file name, 0x20: "0123456789", 0x30: "ok\n", 0x40: a ciovec
  (data (i32.const 0x10) "v0.txt")
  (data (i32.const 0x20) "0123456789")
  (data (i32.const 0x30) "ok\n")
  ;; 0x100: fd out, 0x108: offset out, 0x200: filestat, 0x300: subscription, 0x400: event,
  ;; 0x500: nevents

  (func $check (param $ok i32) (param $code i32)
    (if (i32.eqz (local.get $ok)) (then (call $proc_exit (local.get $code)))))

  ;; Seeks fd by offset from whence and checks the resulting offset.
  (func $seek_to (param $fd i32) (param $offset i64) (param $whence i32) (param $want i64)
                 (param $code i32)
    (call $check (i32.eqz (call $fd_seek (local.get $fd) (local.get $offset) (local.get $whence)
                                         (i32.const 0x108)))
                 (local.get $code))
    (call $check (i64.eq (i64.load (i32.const 0x108)) (local.get $want)) (local.get $code)))

  ;; Checks a preview0 filestat at 0x200 for a 10-byte regular file with one link.
  (func $check_filestat (param $code i32)
    (call $check (i32.eq (i32.load8_u (i32.const 0x210)) (i32.const 4)) (local.get $code))
    (call $check (i32.eq (i32.load (i32.const 0x214)) (i32.const 1)) (local.get $code))
    (call $check (i64.eq (i64.load (i32.const 0x218)) (i64.const 10)) (local.get $code)))

  (func (export "_start")
    (local $fd i32)
    ;; Create v0.txt with read, write, seek, tell and filestat_get rights.
    (call $check (i32.eqz (call $path_open (i32.const 3) (i32.const 0) (i32.const 0x10)
                                           (i32.const 6) (i32.const 9) (i64.const 0x200066)
                                           (i64.const 0) (i32.const 0) (i32.const 0x100)))
                 (i32.const 10))
    (local.set $fd (i32.load (i32.const 0x100)))
    (i32.store (i32.const 0x40) (i32.const 0x20))
    (i32.store (i32.const 0x44) (i32.const 10))
    (call $check (i32.eqz (call $fd_write (local.get $fd) (i32.const 0x40) (i32.const 1)
                                          (i32.const 0x104)))
                 (i32.const 11))

    ;; whence: 1 is END, 2 is SET, 0 is CUR in preview0.
    (call $seek_to (local.get $fd) (i64.const -3) (i32.const 1) (i64.const 7) (i32.const 20))
    (call $seek_to (local.get $fd) (i64.const 2) (i32.const 2) (i64.const 2) (i32.const 21))
    (call $seek_to (local.get $fd) (i64.const 1) (i32.const 0) (i64.const 3) (i32.const 22))
    (call $check (i32.eq (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 3)
                                        (i32.const 0x108))
                         (i32.const 28))
                 (i32.const 23))

    ;; filestat: nlink is a u32 at 20, size at 24, and nothing is written past 56 bytes.
    (i64.store (i32.const 0x238) (i64.const -1))
    (call $check (i32.eqz (call $fd_filestat_get (local.get $fd) (i32.const 0x200)))
                 (i32.const 30))
    (call $check_filestat (i32.const 31))
    (call $check (i64.eq (i64.load (i32.const 0x238)) (i64.const -1)) (i32.const 32))
    (call $check (i32.eqz (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 0x10)
                                                   (i32.const 6) (i32.const 0x200)))
                 (i32.const 33))
    (call $check_filestat (i32.const 34))

    ;; A relative monotonic clock subscription of 1 ms: identifier at 16, id at 24,
    ;; timeout at 32, flags at 48. A preview1 reading would take the identifier's low half
    ;; (0x77) as the clock id and fail with inval.
    (i64.store (i32.const 0x300) (i64.const 0x1234))  ;; userdata
    (i32.store8 (i32.const 0x308) (i32.const 0))      ;; eventtype clock
    (i64.store (i32.const 0x310) (i64.const 0x77))    ;; identifier
    (i32.store (i32.const 0x318) (i32.const 1))       ;; monotonic
    (i64.store (i32.const 0x320) (i64.const 1000000)) ;; timeout
    (i64.store (i32.const 0x328) (i64.const 0))       ;; precision
    (i32.store16 (i32.const 0x330) (i32.const 0))     ;; flags: relative
    (call $check (i32.eqz (call $poll_oneoff (i32.const 0x300) (i32.const 0x400) (i32.const 1)
                                             (i32.const 0x500)))
                 (i32.const 40))
    (call $check (i32.eq (i32.load (i32.const 0x500)) (i32.const 1)) (i32.const 41))
    (call $check (i64.eq (i64.load (i32.const 0x400)) (i64.const 0x1234)) (i32.const 42))
    (call $check (i32.eqz (i32.load16_u (i32.const 0x408))) (i32.const 43))

    (i32.store (i32.const 0x40) (i32.const 0x30))
    (i32.store (i32.const 0x44) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0x40) (i32.const 1) (i32.const 0x104)))))

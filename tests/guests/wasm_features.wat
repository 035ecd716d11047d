;; Exercises the post-MVP features real toolchains emit: bulk memory, sign extension,
;; multi-value, SIMD, mutable globals, non-trapping float-to-int. Exits 0 when every check
;; passes; traps (unreachable) at the first wrong result.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (global $counter (export "counter") (mut i32) (i32.const 0))
  (data $greeting "nnwasm")

  (func $check (param i32)
    (if (i32.eqz (local.get 0)) (then unreachable))
    (global.set $counter (i32.add (global.get $counter) (i32.const 1))))

  ;; multi-value: returns (a+b, a-b)
  (func $sum_and_difference (param i32 i32) (result i32 i32)
    (i32.add (local.get 0) (local.get 1))
    (i32.sub (local.get 0) (local.get 1)))

  (func (export "_start")
    (local $s i32) (local $d i32)
    ;; bulk memory: fill, init from a passive segment, copy
    (memory.fill (i32.const 100) (i32.const 7) (i32.const 16))
    (call $check (i32.eq (i32.load8_u (i32.const 115)) (i32.const 7)))
    (memory.init $greeting (i32.const 200) (i32.const 0) (i32.const 6))
    (data.drop $greeting)
    (memory.copy (i32.const 300) (i32.const 200) (i32.const 6))
    (call $check (i32.eq (i32.load8_u (i32.const 305)) (i32.const 0x6d)))  ;; 'm'
    ;; sign extension
    (call $check (i32.eq (i32.extend8_s (i32.const 0xff)) (i32.const -1)))
    (call $check (i64.eq (i64.extend32_s (i64.const 0x80000000)) (i64.const -2147483648)))
    ;; multi-value
    (call $sum_and_difference (i32.const 10) (i32.const 3))
    (local.set $d)
    (local.set $s)
    (call $check (i32.and (i32.eq (local.get $s) (i32.const 13)) (i32.eq (local.get $d) (i32.const 7))))
    ;; SIMD: lane-wise add, then extract
    (call $check (i32.eq
      (i32x4.extract_lane 2 (i32x4.add (v128.const i32x4 1 2 3 4) (v128.const i32x4 10 20 30 40)))
      (i32.const 33)))
    ;; non-trapping float to int
    (call $check (i32.eq (i32.trunc_sat_f32_s (f32.const 1e20)) (i32.const 2147483647)))
    ;; mutable global: seven checks counted so far
    (call $check (i32.eq (global.get $counter) (i32.const 7)))
    (call $proc_exit (i32.const 0))))

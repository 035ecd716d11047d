;; Exports called from the host with arguments and results of every numeric type (store_test).
(module
  (memory (export "memory") 1)
  (func (export "mix") (param i32 i64 f32 f64) (result f64)
    (f64.add
      (f64.add (f64.convert_i32_s (local.get 0)) (f64.convert_i64_s (local.get 1)))
      (f64.add (f64.promote_f32 (local.get 2)) (local.get 3))))
  (func (export "split") (param i64) (result i32 i64)
    (i32.wrap_i64 (local.get 0))
    (i64.shr_u (local.get 0) (i64.const 32)))
  (func (export "halve") (param f32) (result f32) (f32.div (local.get 0) (f32.const 2)))
  (func (export "takes_ref") (param externref))
  (func (export "boom") (param i32) (result i32) (unreachable)))

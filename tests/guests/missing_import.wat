;; A module importing two functions no host provides.
(module
  (import "env" "not_provided" (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "no_such_function" (func))
  (memory (export "memory") 1)
  (func (export "_start")))

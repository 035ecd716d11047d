;; A module whose _start loads from beyond the end of its 1-page memory.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (i32.load (i32.const 70000)))))

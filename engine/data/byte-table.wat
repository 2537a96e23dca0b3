;; The batch filler's normalization kernel (engine/data/byte-table.ts holds it assembled):
;; dst[i] = table[src[i]] for i < n, where src is n bytes, dst n float32 and table 256 float32,
;; all in this module's memory. A table lookup gives exactly the float32 the JS multiply-add gave
;; for each of the 256 byte values; in WebAssembly it runs without bounds checks, 4 a turn.
(module
  (memory (export "memory") 1)
  (func (export "lookup") (param $src i32) (param $dst i32) (param $n i32) (param $table i32)
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $src) (local.get $n)))
    (local.set $end4 (i32.add (local.get $src) (i32.and (local.get $n) (i32.const -4))))
    (block $done4
      (loop $next4
        (br_if $done4 (i32.ge_u (local.get $src) (local.get $end4)))
        (f32.store offset=0 (local.get $dst) (f32.load (i32.add (local.get $table) (i32.shl (i32.load8_u offset=0 (local.get $src)) (i32.const 2)))))
        (f32.store offset=4 (local.get $dst) (f32.load (i32.add (local.get $table) (i32.shl (i32.load8_u offset=1 (local.get $src)) (i32.const 2)))))
        (f32.store offset=8 (local.get $dst) (f32.load (i32.add (local.get $table) (i32.shl (i32.load8_u offset=2 (local.get $src)) (i32.const 2)))))
        (f32.store offset=12 (local.get $dst) (f32.load (i32.add (local.get $table) (i32.shl (i32.load8_u offset=3 (local.get $src)) (i32.const 2)))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (f32.store (local.get $dst) (f32.load (i32.add (local.get $table) (i32.shl (i32.load8_u (local.get $src)) (i32.const 2)))))
        (local.set $src (i32.add (local.get $src) (i32.const 1)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $next)))))

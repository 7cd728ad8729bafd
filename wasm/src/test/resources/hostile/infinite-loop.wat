;; Spins forever: the sandbox must interrupt it at the call deadline.
(module
  (func (export "spin")
    (loop $forever
      br $forever)))

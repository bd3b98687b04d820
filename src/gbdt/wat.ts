/**
 * WAT: the byte address of element `index` of the array at byte address `base` (both i32 locals),
 * elements of 2^`shift` bytes: `base + (index << shift)`.
 */
export function elementAddress(base: string, index: string, shift: number): string {
  return `
      local.get ${base}
      local.get ${index}
      i32.const ${shift}
      i32.shl
      i32.add`;
}

/**
 * WAT: `body` once for each value of the i32 local `counter` from `from` up to, not including, `to`
 * (each an instruction sequence leaving an i32), counting by `by`. Shared by the engine's
 * WebAssembly texts (wasm-kernels.ts, sum-trees-wat.ts).
 */
export function countedLoop(counter: string, from: string, to: string, body: string, by = 1): string {
  return `${from}
    local.set ${counter}
    block ${counter}Done
    loop ${counter}Next
      local.get ${counter}
      ${to}
      i32.ge_u
      br_if ${counter}Done
      ${body}
      local.get ${counter}
      i32.const ${by}
      i32.add
      local.set ${counter}
      br ${counter}Next
    end
    end`;
}

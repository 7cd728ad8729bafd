// A Custos WebAssembly detector (ABI v1, docs/wasm-detector-abi.md) in AssemblyScript:
// employee ids, "EMP" followed by five digits d1..d5 whose last is a check digit,
//   d5 = (10 - (3·d1 + d2 + 3·d3 + d4) mod 10) mod 10,
// not inside a longer word or number as far as the window shows. Each match has score 95 and
// names category 0 of its list, "employee_id". Rebuild with ./build.sh.

const ID_LENGTH: i32 = 8;

// The match list: an i32 count, then 16 bytes per match; room for `capacity` matches.
let results: usize = 0;
let capacity: i32 = 0;
let categoryList: usize = 0;

/** Marks the module as following the Custos detector ABI v1. */
export function custos_detector_abi_v1(): void {}

/** Returns `size` bytes the host copies each window into (asked once per instance). */
export function alloc(size: i32): usize {
  return heap.alloc(<usize>size);
}

/** Returns the category ids this detector reports: an i32 byte length, then UTF-8, "\n"-separated. */
export function categories(): usize {
  if (categoryList == 0) {
    const ids = "employee_id";
    categoryList = heap.alloc(4 + <usize>ids.length);
    store<i32>(categoryList, ids.length);
    for (let i = 0; i < ids.length; i++) {
      store<u8>(categoryList + 4 + <usize>i, <u8>ids.charCodeAt(i));
    }
  }
  return categoryList;
}

// @ts-ignore: decorator
@inline function digit(c: u32): u32 {
  return c - 48;
}

// @ts-ignore: decorator
@inline function isWord(c: u32): bool {
  return c - 48 < 10 || (c | 32) - 97 < 26 || c == 95;
}

/** Finds the employee ids in [ptr, ptr + len) and returns the address of the match list. */
export function detect(ptr: usize, len: i32): usize {
  const need = len / ID_LENGTH + 1;
  if (need > capacity) {
    if (results != 0) heap.free(results);
    results = heap.alloc(4 + 16 * <usize>need);
    capacity = need;
  }
  let count = 0;
  let out = results + 4;
  for (let i = 0; i + ID_LENGTH <= len; i++) {
    const p = ptr + <usize>i;
    if (load<u8>(p) != 0x45 || load<u8>(p, 1) != 0x4d || load<u8>(p, 2) != 0x50) continue; // EMP
    if (i > 0 && isWord(load<u8>(p - 1))) continue;
    if (i + ID_LENGTH < len && isWord(load<u8>(p, ID_LENGTH))) continue;
    const d1 = digit(load<u8>(p, 3));
    const d2 = digit(load<u8>(p, 4));
    const d3 = digit(load<u8>(p, 5));
    const d4 = digit(load<u8>(p, 6));
    const d5 = digit(load<u8>(p, 7));
    if (d1 > 9 || d2 > 9 || d3 > 9 || d4 > 9 || d5 > 9) continue;
    if ((10 - (3 * d1 + d2 + 3 * d3 + d4) % 10) % 10 != d5) continue;
    store<i32>(out, i);
    store<i32>(out, i + ID_LENGTH, 4);
    store<i32>(out, 95, 8);
    store<i32>(out, 0, 12);
    out += 16;
    count++;
    i += ID_LENGTH - 1;
  }
  store<i32>(results, count);
  return results;
}

// Linear -> physical translation (the page walk), the TLB's only slow path.
// Returns the physical page base | T_RO | T_NOUSER, or 0xFFFFFFFF after raising #PF.
// Paging itself (SDM Vol. 3A chapter 4) arrives with protected mode; with CR0.PG clear the
// linear address is the physical address.
export function translate(lin: u32, write: bool, user: bool, exec: bool): u32 {
  return lin & ~0xfff;
}

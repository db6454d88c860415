// MMX, SSE and SSE2 (SDM Vol. 2 appendix A, tables: the 0F map with the mandatory
// prefixes 66, F3 and F2). The rows live in two tables, one per instruction family:
//   tools/opcodes/simd-int.mjs  MMX and the SSE/SSE2 integer instructions, the data moves
//   tools/opcodes/simd-fp.mjs   the SSE/SSE2 floating-point instructions, conversions, MXCSR
// tools/gen-simd.mjs makes the SIMD dispatcher (assembly/gen/simd.ts) from both; the 0F opcodes
// they use are routed there by tools/gen-opcodes.mjs.
//
// Row: [opcode, prefix, reg, mnemonic, operands, handler, flags]
//   opcode   0x0F10-0x0FFF
//   prefix   '' (none), '66', 'F3' or 'F2': the mandatory prefix. F3/F2 win over 66; of F3 and F2
//            the last one wins (decode.ts). A prefix with no row raises #UD.
//   reg      ModRM.reg for the group opcodes 0F 71-73, or -1
//   operands SDM notation. V xmm (ModRM.reg)  W xmm or memory (ModRM.rm)  U xmm, register form only
//            P mm (ModRM.reg)  Q mm or memory  N mm, register form only  G/E general registers
//            M memory only  Ib an immediate byte. Sizes: x 128, q 64, d 32, w 16, ps pd ss sd.
//   handler  a call in assembly/simd/*.ts (re-exported by assembly/simd/index.ts)
//   flags    'U' a 128-bit memory operand need not be 16-byte aligned (MOVUPS, MOVDQU, ...);
//              without it Wx/Wps/Wpd/Mx memory operands raise #GP(0) when misaligned
//            'X' the handler makes the checks itself (EMMS: the MMX checks without the transition)
//            'S' an MMX-register form of an SSE/SSE2 instruction: the SSE checks (CR4.OSFXSR)
//              apply, plus the x87 checks and the x87-to-MMX transition
// The checks before the handler follow from the operands (tools/gen-simd.mjs): forms with MMX
// operands and no prefix are MMX instructions (#UD if CR0.EM, #NM if CR0.TS, #MF for a pending
// x87 exception, then TOP = 0 and all tags valid); the rest are SSE/SSE2 (#UD if CR0.EM or not
// CR4.OSFXSR, #NM if CR0.TS).
export const rowsOf = () => {
  const rows = [];
  const row = (op, prefix, reg, m, args, h, flags = '') => rows.push([op, prefix, reg, m, args, h, flags]);
  return { rows, row };
};

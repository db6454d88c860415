// The x87 instruction set of the Pentium Pro (SDM Vol. 2, appendix A.4, tables ),
// one row per form. The escape opcodes D8-DF of tools/opcodes/integer.mjs go to the FPU
// dispatcher that tools/gen-x87.mjs makes from these rows (assembly/gen/x87.ts).
//
// Row: [opcode, reg, form, mnemonic, handler, flags]
//   opcode   0xD8-0xDF
//   reg      ModRM.reg
//   form     'm' memory operand (mod != 3); 'r' register form, ST(i) = ModRM.rm;
//            0-7 the register form with that ModRM.rm only
//   handler  a call in assembly/fpu/*.ts (re-exported by assembly/fpu/index.ts)
//   flags    'N' no-wait form: no check for a pending unmasked exception (FNINIT, FNSTSW ...)
//            'C' control instruction: FIP, FCS, FOP, FDP and FDS keep the last non-control
//                instruction's values (SDM Vol. 1 8.1.8)
// Forms not listed raise #UD (reserved encodings, and FISTTP, which is SSE3).
// The memory operand kinds are in assembly/fpu/arith.ts: 0 m32real, 1 m64real, 2 m32int, 3 m16int.
const rows = [];
const row = (op, reg, form, m, h, flags = '') => rows.push([op, reg, form, m, h, flags]);

const ARITH = ['ADD', 'MUL', 'COM', 'COMP', 'SUB', 'SUBR', 'DIV', 'DIVR'];
// register forms of DC and DE compute ST(i) = ST(i) op ST(0) with SUB/SUBR and DIV/DIVR swapped
const SWAP = [0, 1, 2, 3, 5, 4, 7, 6];
for (let r = 0; r < 8; r++) {
  const cmp = r === 2 || r === 3;
  const pop = r === 3 ? 1 : 0;
  row(0xd8, r, 'm', 'F' + ARITH[r], cmp ? `fcom_m(0, ${pop})` : `arith_m(${r}, 0)`);
  row(0xd8, r, 'r', 'F' + ARITH[r], cmp ? `fcom_r(${pop}, false)` : `arith_r(${r}, false, false)`);
  row(0xdc, r, 'm', 'F' + ARITH[r], cmp ? `fcom_m(1, ${pop})` : `arith_m(${r}, 1)`);
  // DC D0-DF: FCOM/FCOMP aliases (undocumented)
  row(0xdc, r, 'r', 'F' + ARITH[SWAP[r]], cmp ? `fcom_r(${pop}, false)` : `arith_r(${SWAP[r]}, true, false)`);
  row(0xda, r, 'm', 'FI' + ARITH[r], cmp ? `fcom_m(2, ${pop})` : `arith_m(${r}, 2)`);
  row(0xde, r, 'm', 'FI' + ARITH[r], cmp ? `fcom_m(3, ${pop})` : `arith_m(${r}, 3)`);
  if (!cmp) row(0xde, r, 'r', 'F' + ARITH[SWAP[r]] + 'P', `arith_r(${SWAP[r]}, true, true)`);
}
row(0xde, 2, 'r', 'FCOMP', 'fcom_r(1, false)'); // DE D0-D7: FCOMP alias (undocumented)
row(0xde, 3, 1, 'FCOMPP', 'fcom_r(2, false)');

// D9
row(0xd9, 0, 'm', 'FLD', 'fld_m(0)');
row(0xd9, 2, 'm', 'FST', 'fst_m(0, false)');
row(0xd9, 3, 'm', 'FSTP', 'fst_m(0, true)');
row(0xd9, 4, 'm', 'FLDENV', 'fldenv()', 'C');
row(0xd9, 5, 'm', 'FLDCW', 'fldcw()', 'C');
row(0xd9, 6, 'm', 'FNSTENV', 'fstenv()', 'NC');
row(0xd9, 7, 'm', 'FNSTCW', 'fstcw()', 'NC');
row(0xd9, 0, 'r', 'FLD', 'fld_r()');
row(0xd9, 1, 'r', 'FXCH', 'fxch()');
row(0xd9, 2, 0, 'FNOP', 'fnop()');
row(0xd9, 3, 'r', 'FSTP', 'fst_r(true, false)'); // D9 D8-DF: FSTP alias (undocumented; see fst_r)
row(0xd9, 4, 0, 'FCHS', 'fchs()');
row(0xd9, 4, 1, 'FABS', 'fabs()');
row(0xd9, 4, 4, 'FTST', 'ftst()');
row(0xd9, 4, 5, 'FXAM', 'fxam()');
['FLD1', 'FLDL2T', 'FLDL2E', 'FLDPI', 'FLDLG2', 'FLDLN2', 'FLDZ'].forEach((m, i) => row(0xd9, 5, i, m, `fldconst(${i})`));
row(0xd9, 6, 0, 'F2XM1', 'f2xm1()');
row(0xd9, 6, 1, 'FYL2X', 'fyl2x()');
row(0xd9, 6, 2, 'FPTAN', 'fptan()');
row(0xd9, 6, 3, 'FPATAN', 'fpatan()');
row(0xd9, 6, 4, 'FXTRACT', 'fxtract()');
row(0xd9, 6, 5, 'FPREM1', 'fprem(true)');
row(0xd9, 6, 6, 'FDECSTP', 'fincstp(7)');
row(0xd9, 6, 7, 'FINCSTP', 'fincstp(1)');
row(0xd9, 7, 0, 'FPREM', 'fprem(false)');
row(0xd9, 7, 1, 'FYL2XP1', 'fyl2xp1()');
row(0xd9, 7, 2, 'FSQRT', 'fsqrt()');
row(0xd9, 7, 3, 'FSINCOS', 'fsincos()');
row(0xd9, 7, 4, 'FRNDINT', 'frndint()');
row(0xd9, 7, 5, 'FSCALE', 'fscale()');
row(0xd9, 7, 6, 'FSIN', 'fsin()');
row(0xd9, 7, 7, 'FCOS', 'fcos()');

// DA: FCMOVcc, FUCOMPP
['FCMOVB', 'FCMOVE', 'FCMOVBE', 'FCMOVU'].forEach((m, i) => row(0xda, i, 'r', m, `fcmov(${i}, false)`));
row(0xda, 5, 1, 'FUCOMPP', 'fcom_r(2, true)');

// DB
row(0xdb, 0, 'm', 'FILD', 'fld_m(2)');
row(0xdb, 2, 'm', 'FIST', 'fist_m(2, false)');
row(0xdb, 3, 'm', 'FISTP', 'fist_m(2, true)');
row(0xdb, 5, 'm', 'FLD', 'fld_m(4)');
row(0xdb, 7, 'm', 'FSTP', 'fst_m(4, true)');
['FCMOVNB', 'FCMOVNE', 'FCMOVNBE', 'FCMOVNU'].forEach((m, i) => row(0xdb, i, 'r', m, `fcmov(${i}, true)`));
row(0xdb, 4, 0, 'FNENI', 'fnop_legacy()', 'NC'); // 8087 only: a no-op since the 287
row(0xdb, 4, 1, 'FNDISI', 'fnop_legacy()', 'NC');
row(0xdb, 4, 2, 'FNCLEX', 'fclex()', 'NC');
row(0xdb, 4, 3, 'FNINIT', 'finit()', 'NC');
row(0xdb, 4, 4, 'FNSETPM', 'fnop_legacy()', 'NC'); // 287 only
row(0xdb, 5, 'r', 'FUCOMI', 'fcomi(true, false)');
row(0xdb, 6, 'r', 'FCOMI', 'fcomi(false, false)');

// DD
row(0xdd, 0, 'm', 'FLD', 'fld_m(1)');
row(0xdd, 2, 'm', 'FST', 'fst_m(1, false)');
row(0xdd, 3, 'm', 'FSTP', 'fst_m(1, true)');
row(0xdd, 4, 'm', 'FRSTOR', 'frstor()', 'C');
row(0xdd, 6, 'm', 'FNSAVE', 'fsave()', 'NC');
row(0xdd, 7, 'm', 'FNSTSW', 'fstsw_m()', 'NC');
row(0xdd, 0, 'r', 'FFREE', 'ffree(false)');
row(0xdd, 1, 'r', 'FXCH', 'fxch()'); // DD C8-CF: FXCH alias (undocumented)
row(0xdd, 2, 'r', 'FST', 'fst_r(false, true)');
row(0xdd, 3, 'r', 'FSTP', 'fst_r(true, true)');
row(0xdd, 4, 'r', 'FUCOM', 'fcom_r(0, true)');
row(0xdd, 5, 'r', 'FUCOMP', 'fcom_r(1, true)');

// DF
row(0xdf, 0, 'm', 'FILD', 'fld_m(3)');
row(0xdf, 2, 'm', 'FIST', 'fist_m(3, false)');
row(0xdf, 3, 'm', 'FISTP', 'fist_m(3, true)');
row(0xdf, 4, 'm', 'FBLD', 'fbld()');
row(0xdf, 5, 'm', 'FILD', 'fld_m(5)');
row(0xdf, 6, 'm', 'FBSTP', 'fbstp()');
row(0xdf, 7, 'm', 'FISTP', 'fist_m(5, true)');
row(0xdf, 0, 'r', 'FFREEP', 'ffree(true)'); // DF C0-C7 (undocumented)
row(0xdf, 1, 'r', 'FXCH', 'fxch()'); // DF C8-CF: FXCH alias (undocumented)
row(0xdf, 2, 'r', 'FSTP', 'fst_r(true, true)'); // DF D0-DF: FSTP aliases (undocumented)
row(0xdf, 3, 'r', 'FSTP', 'fst_r(true, true)');
row(0xdf, 4, 0, 'FNSTSW', 'fstsw_ax()', 'NC');
row(0xdf, 5, 'r', 'FUCOMIP', 'fcomi(true, true)');
row(0xdf, 6, 'r', 'FCOMIP', 'fcomi(false, true)');

export default rows;

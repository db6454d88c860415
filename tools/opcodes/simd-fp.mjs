// The SSE/SSE2 floating-point instructions, conversions and float data moves (see
// tools/opcodes/simd.mjs for the row format; SDM Vol. 2 appendix A, tables ). Handlers:
// assembly/simd/fp-move.ts, fp.ts, fp-compare.ts, convert.ts. The form numbers passed to the
// handlers: 0 ps, 1 pd, 2 ss, 3 sd (the mandatory prefix none, 66, F3, F2).
import { rowsOf } from './simd.mjs';

const { rows, row } = rowsOf();
const SIZES = ['ps', 'pd', 'ss', 'sd'];
const PFX = ['', '66', 'F3', 'F2'];
// the forms (a subset of ps pd ss sd) of an arithmetic instruction; $F is the form number
const forms = (op, m, list, args, h) => {
  for (const f of list) {
    const k = SIZES.indexOf(f);
    row(op, PFX[k], -1, m + f.toUpperCase(), args.replace(/\$S/g, f), h.replace(/\$F/g, String(k)));
  }
};
const ALL = ['ps', 'pd', 'ss', 'sd'];

// ---------------------------------------------------------------- data moves
row(0x0f10, '', -1, 'MOVUPS', 'Vps,Wps', 'mov_VW()', 'U');
row(0x0f10, '66', -1, 'MOVUPD', 'Vpd,Wpd', 'mov_VW()', 'U');
row(0x0f10, 'F3', -1, 'MOVSS', 'Vss,Wss', 'movs_VW(false)');
row(0x0f10, 'F2', -1, 'MOVSD', 'Vsd,Wsd', 'movs_VW(true)');
row(0x0f11, '', -1, 'MOVUPS', 'Wps,Vps', 'mov_WV()', 'U');
row(0x0f11, '66', -1, 'MOVUPD', 'Wpd,Vpd', 'mov_WV()', 'U');
row(0x0f11, 'F3', -1, 'MOVSS', 'Wss,Vss', 'movs_WV(false)');
row(0x0f11, 'F2', -1, 'MOVSD', 'Wsd,Vsd', 'movs_WV(true)');
row(0x0f12, '', -1, 'MOVLPS', 'Vq,Wq', 'movlh_VW(false)'); // the register form is MOVHLPS
row(0x0f12, '66', -1, 'MOVLPD', 'Vq,Mq', 'movlh_VW(false)');
row(0x0f13, '', -1, 'MOVLPS', 'Mq,Vq', 'movlh_MV(false)');
row(0x0f13, '66', -1, 'MOVLPD', 'Mq,Vq', 'movlh_MV(false)');
row(0x0f14, '', -1, 'UNPCKLPS', 'Vps,Wps', 'unpck(false, false)');
row(0x0f14, '66', -1, 'UNPCKLPD', 'Vpd,Wpd', 'unpck(true, false)');
row(0x0f15, '', -1, 'UNPCKHPS', 'Vps,Wps', 'unpck(false, true)');
row(0x0f15, '66', -1, 'UNPCKHPD', 'Vpd,Wpd', 'unpck(true, true)');
row(0x0f16, '', -1, 'MOVHPS', 'Vq,Wq', 'movlh_VW(true)'); // the register form is MOVLHPS
row(0x0f16, '66', -1, 'MOVHPD', 'Vq,Mq', 'movlh_VW(true)');
row(0x0f17, '', -1, 'MOVHPS', 'Mq,Vq', 'movlh_MV(true)');
row(0x0f17, '66', -1, 'MOVHPD', 'Mq,Vq', 'movlh_MV(true)');
row(0x0f28, '', -1, 'MOVAPS', 'Vps,Wps', 'mov_VW()');
row(0x0f28, '66', -1, 'MOVAPD', 'Vpd,Wpd', 'mov_VW()');
row(0x0f29, '', -1, 'MOVAPS', 'Wps,Vps', 'mov_WV()');
row(0x0f29, '66', -1, 'MOVAPD', 'Wpd,Vpd', 'mov_WV()');
row(0x0f2b, '', -1, 'MOVNTPS', 'Mps,Vps', 'mov_WV()');
row(0x0f2b, '66', -1, 'MOVNTPD', 'Mpd,Vpd', 'mov_WV()');
row(0x0f50, '', -1, 'MOVMSKPS', 'Gd,Ups', 'movmsk(false)');
row(0x0f50, '66', -1, 'MOVMSKPD', 'Gd,Upd', 'movmsk(true)');
// ANDPS ANDNPS ORPS XORPS and the PD forms: the bitwise operations of PAND PANDN POR PXOR (pint 0-3)
for (const [op, m, k] of [[0x0f54, 'AND', 0], [0x0f55, 'ANDN', 1], [0x0f56, 'OR', 2], [0x0f57, 'XOR', 3]]) {
  row(op, '', -1, m + 'PS', 'Vps,Wps', `pint(true, ${k})`);
  row(op, '66', -1, m + 'PD', 'Vpd,Wpd', `pint(true, ${k})`);
}
row(0x0fc6, '', -1, 'SHUFPS', 'Vps,Wps,Ib', 'shufp(false)');
row(0x0fc6, '66', -1, 'SHUFPD', 'Vpd,Wpd,Ib', 'shufp(true)');

// ---------------------------------------------------------------- arithmetic
forms(0x0f51, 'SQRT', ALL, 'V$S,W$S', 'farith($F, 6)');
forms(0x0f52, 'RSQRT', ['ps', 'ss'], 'V$S,W$S', 'farith($F, 8)');
forms(0x0f53, 'RCP', ['ps', 'ss'], 'V$S,W$S', 'farith($F, 7)');
forms(0x0f58, 'ADD', ALL, 'V$S,W$S', 'farith($F, 0)');
forms(0x0f59, 'MUL', ALL, 'V$S,W$S', 'farith($F, 2)');
forms(0x0f5c, 'SUB', ALL, 'V$S,W$S', 'farith($F, 1)');
forms(0x0f5d, 'MIN', ALL, 'V$S,W$S', 'farith($F, 4)');
forms(0x0f5e, 'DIV', ALL, 'V$S,W$S', 'farith($F, 3)');
forms(0x0f5f, 'MAX', ALL, 'V$S,W$S', 'farith($F, 5)');

// ---------------------------------------------------------------- compares
forms(0x0fc2, 'CMP', ALL, 'V$S,W$S,Ib', 'fcmp($F)');
row(0x0f2e, '', -1, 'UCOMISS', 'Vss,Wss', 'comis(false, false)');
row(0x0f2e, '66', -1, 'UCOMISD', 'Vsd,Wsd', 'comis(true, false)');
row(0x0f2f, '', -1, 'COMISS', 'Vss,Wss', 'comis(false, true)');
row(0x0f2f, '66', -1, 'COMISD', 'Vsd,Wsd', 'comis(true, true)');

// ---------------------------------------------------------------- conversions
row(0x0f2a, '', -1, 'CVTPI2PS', 'Vps,Qpi', 'cvtpi2p(false)', 'S');
row(0x0f2a, '66', -1, 'CVTPI2PD', 'Vpd,Qpi', 'cvtpi2p(true)', 'S');
row(0x0f2a, 'F3', -1, 'CVTSI2SS', 'Vss,Ed', 'cvtsi2s(false)');
row(0x0f2a, 'F2', -1, 'CVTSI2SD', 'Vsd,Ed', 'cvtsi2s(true)');
row(0x0f2c, '', -1, 'CVTTPS2PI', 'Ppi,Wq', 'cvtp2pi(false, true)', 'S');
row(0x0f2c, '66', -1, 'CVTTPD2PI', 'Ppi,Wpd', 'cvtp2pi(true, true)', 'S');
row(0x0f2c, 'F3', -1, 'CVTTSS2SI', 'Gd,Wss', 'cvts2si(false, true)');
row(0x0f2c, 'F2', -1, 'CVTTSD2SI', 'Gd,Wsd', 'cvts2si(true, true)');
row(0x0f2d, '', -1, 'CVTPS2PI', 'Ppi,Wq', 'cvtp2pi(false, false)', 'S');
row(0x0f2d, '66', -1, 'CVTPD2PI', 'Ppi,Wpd', 'cvtp2pi(true, false)', 'S');
row(0x0f2d, 'F3', -1, 'CVTSS2SI', 'Gd,Wss', 'cvts2si(false, false)');
row(0x0f2d, 'F2', -1, 'CVTSD2SI', 'Gd,Wsd', 'cvts2si(true, false)');
row(0x0f5a, '', -1, 'CVTPS2PD', 'Vpd,Wq', 'cvtfp(0)');
row(0x0f5a, '66', -1, 'CVTPD2PS', 'Vps,Wpd', 'cvtfp(1)');
row(0x0f5a, 'F3', -1, 'CVTSS2SD', 'Vsd,Wss', 'cvtfp(2)');
row(0x0f5a, 'F2', -1, 'CVTSD2SS', 'Vss,Wsd', 'cvtfp(3)');
row(0x0f5b, '', -1, 'CVTDQ2PS', 'Vps,Wx', 'cvtx(0)');
row(0x0f5b, '66', -1, 'CVTPS2DQ', 'Vx,Wps', 'cvtx(1)');
row(0x0f5b, 'F3', -1, 'CVTTPS2DQ', 'Vx,Wps', 'cvtx(2)');
row(0x0fe6, '66', -1, 'CVTTPD2DQ', 'Vx,Wpd', 'cvtx(4)');
row(0x0fe6, 'F2', -1, 'CVTPD2DQ', 'Vx,Wpd', 'cvtx(3)');
row(0x0fe6, 'F3', -1, 'CVTDQ2PD', 'Vpd,Wq', 'cvtdq2pd()');

export default rows;

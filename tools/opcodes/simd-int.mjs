// MMX and the SSE/SSE2 integer instructions and data moves (see tools/opcodes/simd.mjs for the
// row format). Handlers: assembly/simd/int.ts (lane arithmetic), int-shift.ts, int-pack.ts
// (packs, unpacks, shuffles, inserts/extracts, PMOVMSKB) and move.ts.
import { rowsOf } from './simd.mjs';

const { rows, row } = rowsOf();
// an MMX form (no prefix, mm operands) and its SSE2 form (66, xmm operands)
const both = (op, m, args, h, flags = '') => {
  row(op, '', -1, m, args.replace(/V/g, 'P').replace(/W/g, 'Q').replace(/U/g, 'N').replace(/x/g, 'q'), h.replace(/\$X/g, 'false'), flags);
  row(op, '66', -1, m, args, h.replace(/\$X/g, 'true'), flags);
};
// The lane operations of pint(x, op) in assembly/simd/int.ts, by number (the same order there)
export const INT_OPS = [
  'PAND', 'PANDN', 'POR', 'PXOR',
  'PADDB', 'PADDW', 'PADDD', 'PADDQ', 'PSUBB', 'PSUBW', 'PSUBD', 'PSUBQ',
  'PADDSB', 'PADDSW', 'PADDUSB', 'PADDUSW', 'PSUBSB', 'PSUBSW', 'PSUBUSB', 'PSUBUSW',
  'PCMPEQB', 'PCMPEQW', 'PCMPEQD', 'PCMPGTB', 'PCMPGTW', 'PCMPGTD',
  'PMINUB', 'PMAXUB', 'PMINSW', 'PMAXSW', 'PAVGB', 'PAVGW',
  'PMULLW', 'PMULHW', 'PMULHUW', 'PMADDWD', 'PMULUDQ', 'PSADBW',
];
const INT_ROWS = [
  [0xdb, 'PAND'], [0xdf, 'PANDN'], [0xeb, 'POR'], [0xef, 'PXOR'],
  [0xfc, 'PADDB'], [0xfd, 'PADDW'], [0xfe, 'PADDD'], [0xd4, 'PADDQ'],
  [0xf8, 'PSUBB'], [0xf9, 'PSUBW'], [0xfa, 'PSUBD'], [0xfb, 'PSUBQ'],
  [0xec, 'PADDSB'], [0xed, 'PADDSW'], [0xdc, 'PADDUSB'], [0xdd, 'PADDUSW'],
  [0xe8, 'PSUBSB'], [0xe9, 'PSUBSW'], [0xd8, 'PSUBUSB'], [0xd9, 'PSUBUSW'],
  [0x74, 'PCMPEQB'], [0x75, 'PCMPEQW'], [0x76, 'PCMPEQD'], [0x64, 'PCMPGTB'], [0x65, 'PCMPGTW'], [0x66, 'PCMPGTD'],
  [0xda, 'PMINUB'], [0xde, 'PMAXUB'], [0xea, 'PMINSW'], [0xee, 'PMAXSW'], [0xe0, 'PAVGB'], [0xe3, 'PAVGW'],
  [0xd5, 'PMULLW'], [0xe5, 'PMULHW'], [0xe4, 'PMULHUW'], [0xf5, 'PMADDWD'], [0xf4, 'PMULUDQ'], [0xf6, 'PSADBW'],
];
for (const [op, m] of INT_ROWS) both(0x0f00 | op, m, 'Vx,Wx', `pint($X, ${INT_OPS.indexOf(m)})`);

// shifts (int-shift.ts): kind 0 logical right, 1 arithmetic right, 2 left; size 1 word, 2 dword, 3 qword
const SHIFTS = [
  [0xd1, 0x71, 2, 'PSRLW', 0, 1], [0xd2, 0x72, 2, 'PSRLD', 0, 2], [0xd3, 0x73, 2, 'PSRLQ', 0, 3],
  [0xe1, 0x71, 4, 'PSRAW', 1, 1], [0xe2, 0x72, 4, 'PSRAD', 1, 2],
  [0xf1, 0x71, 6, 'PSLLW', 2, 1], [0xf2, 0x72, 6, 'PSLLD', 2, 2], [0xf3, 0x73, 6, 'PSLLQ', 2, 3],
];
for (const [op, grp, reg, m, kind, size] of SHIFTS) {
  both(0x0f00 | op, m, 'Vx,Wx', `pshift($X, ${kind}, ${size})`);
  row(0x0f00 | grp, '', reg, m, 'Nq,Ib', `pshifti(false, ${kind}, ${size})`);
  row(0x0f00 | grp, '66', reg, m, 'Ux,Ib', `pshifti(true, ${kind}, ${size})`);
}
row(0x0f73, '66', 3, 'PSRLDQ', 'Ux,Ib', 'pshiftdq(false)');
row(0x0f73, '66', 7, 'PSLLDQ', 'Ux,Ib', 'pshiftdq(true)');

// packs and unpacks (int-pack.ts)
both(0x0f63, 'PACKSSWB', 'Vx,Wx', 'ppack($X, 0)');
both(0x0f67, 'PACKUSWB', 'Vx,Wx', 'ppack($X, 1)');
both(0x0f6b, 'PACKSSDW', 'Vx,Wx', 'ppack($X, 2)');
[['PUNPCKLBW', 0x60], ['PUNPCKLWD', 0x61], ['PUNPCKLDQ', 0x62]].forEach(([m, op], k) => {
  row(0x0f00 | op, '', -1, m, 'Pq,Qd', `punpckl(false, ${k})`);
  row(0x0f00 | op, '66', -1, m, 'Vx,Wx', `punpckl(true, ${k})`);
});
row(0x0f6c, '66', -1, 'PUNPCKLQDQ', 'Vx,Wx', 'punpckl(true, 3)');
[['PUNPCKHBW', 0x68], ['PUNPCKHWD', 0x69], ['PUNPCKHDQ', 0x6a]].forEach(([m, op], k) => both(0x0f00 | op, m, 'Vx,Wx', `punpckh($X, ${k})`));
row(0x0f6d, '66', -1, 'PUNPCKHQDQ', 'Vx,Wx', 'punpckh(true, 3)');

// shuffles, word inserts and extracts, byte masks (int-pack.ts)
row(0x0f70, '', -1, 'PSHUFW', 'Pq,Qq,Ib', 'pshufw()');
row(0x0f70, '66', -1, 'PSHUFD', 'Vx,Wx,Ib', 'pshufd()');
row(0x0f70, 'F3', -1, 'PSHUFHW', 'Vx,Wx,Ib', 'pshufxw(true)');
row(0x0f70, 'F2', -1, 'PSHUFLW', 'Vx,Wx,Ib', 'pshufxw(false)');
both(0x0fc4, 'PINSRW', 'Vx,Ed/Mw,Ib', 'pinsrw($X)');
both(0x0fc5, 'PEXTRW', 'Gd,Ux,Ib', 'pextrw($X)');
both(0x0fd7, 'PMOVMSKB', 'Gd,Ux', 'pmovmskb($X)');

// data moves (move.ts)
row(0x0f6e, '', -1, 'MOVD', 'Pq,Ed', 'movd_to(false)');
row(0x0f6e, '66', -1, 'MOVD', 'Vx,Ed', 'movd_to(true)');
row(0x0f7e, '', -1, 'MOVD', 'Ed,Pq', 'movd_from(false)');
row(0x0f7e, '66', -1, 'MOVD', 'Ed,Vx', 'movd_from(true)');
row(0x0f6f, '', -1, 'MOVQ', 'Pq,Qq', 'movq_PQ()');
row(0x0f7f, '', -1, 'MOVQ', 'Qq,Pq', 'movq_QP()');
row(0x0f7e, 'F3', -1, 'MOVQ', 'Vq,Wq', 'movq_VW()');
row(0x0fd6, '66', -1, 'MOVQ', 'Wq,Vq', 'movq_WV()');
row(0x0fd6, 'F3', -1, 'MOVQ2DQ', 'Vx,Nq', 'movq2dq()', 'S');
row(0x0fd6, 'F2', -1, 'MOVDQ2Q', 'Pq,Ux', 'movdq2q()', 'S');
row(0x0f6f, '66', -1, 'MOVDQA', 'Vx,Wx', 'mov_VW()');
row(0x0f6f, 'F3', -1, 'MOVDQU', 'Vx,Wx', 'mov_VW()', 'U');
row(0x0f7f, '66', -1, 'MOVDQA', 'Wx,Vx', 'mov_WV()');
row(0x0f7f, 'F3', -1, 'MOVDQU', 'Wx,Vx', 'mov_WV()', 'U');
row(0x0fe7, '', -1, 'MOVNTQ', 'Mq,Pq', 'movq_QP()');
row(0x0fe7, '66', -1, 'MOVNTDQ', 'Mx,Vx', 'mov_WV()');
row(0x0ff7, '', -1, 'MASKMOVQ', 'Pq,Nq', 'maskmov(false)');
row(0x0ff7, '66', -1, 'MASKMOVDQU', 'Vx,Ux', 'maskmov(true)');
row(0x0f77, '', -1, 'EMMS', '', 'emms()', 'X');

export default rows;

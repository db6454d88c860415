// Debug counters and trace points, declared in one place. They exist only in the "stats" build
// (asconfig.json target stats: --use WV_STATS=1, build/core-stats.wasm, used by --stats and the
// benchmark's hit-rate run); in the release build every call below compiles to nothing.
import { TLB_HITS } from './gen/layout';

// a TLB lookup that the fast path satisfied
@inline export function countTlbHit(): void {
  if (isDefined(WV_STATS)) store<u64>(TLB_HITS, load<u64>(TLB_HITS) + 1);
}

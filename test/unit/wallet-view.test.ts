/**
 * The wallet view reuses coin rows and the USD sums of unchanged coins between calls (keyed by
 * the identity of the immutable Bigs it is given). Whatever sequence of changes it sees, its
 * answer must equal what a first call computes from the same state.
 */
import { expect, test } from 'vitest';
import type { Account } from '../../src/core/accounts/account.js';
import { Big, ONE, ZERO, type Big as BigT } from '../../src/core/decimal.js';
import type { CoinState } from '../../src/core/trading/ledger.js';
import { walletBalanceView } from '../../src/core/views/trading-views.js';

const COINS = ['USDT', 'BTC', 'ETH', 'USDC'];

function fakeAccount(): Account {
  return { balances: new Map(COINS.map((c) => [c, ZERO])), positions: new Map() } as unknown as Account;
}

function stateOf(wallet: BigT, upl: BigT, im: BigT): CoinState {
  return {
    wallet,
    upl,
    positionIM: im,
    positionMM: ZERO,
    orderIM: ZERO,
    locked: ZERO,
    cumRealised: ZERO,
    available: wallet.minus(im),
  };
}

test('reused rows and sums give the same wallet as a fresh computation, change after change', () => {
  const memoised = fakeAccount();
  const states = new Map<string, CoinState>(COINS.map((c) => [c, stateOf(Big('0'), ZERO, ZERO)]));
  const prices = new Map<string, BigT>([
    // The shared ONE (the exchange's stablecoin price) and an equal Big that is not it.
    ['USDT', ONE],
    ['USDC', Big('1')],
    ['BTC', Big('90000.5')],
    ['ETH', Big('3000.25')],
  ]);
  let seed = 7;
  const next = () => (seed = (seed * 48271) % 2147483647);
  for (let step = 0; step < 300; step++) {
    // One coin changes most of the time; sometimes two, sometimes a price, sometimes nothing.
    const kind = next() % 10;
    const changes = kind < 6 ? 1 : kind < 8 ? 2 : 0;
    for (let k = 0; k < changes; k++) {
      const c = COINS[next() % COINS.length]!;
      // Balances with up to 11 decimals (usdValue rounds those to 8), upl sometimes exactly zero.
      const wallet = Big(`${next() % 100000}.${String(next()).slice(0, 1 + (next() % 11))}`);
      const upl = next() % 3 === 0 ? ZERO : Big(`-${next() % 50}.5`);
      states.set(c, stateOf(wallet, upl, Big(`${next() % 10}`)));
    }
    if (kind === 8) prices.set('BTC', Big(`${80000 + (next() % 20000)}.5`));
    const view = (account: Account) =>
      walletBalanceView(
        account,
        [],
        (c) => prices.get(c),
        (c) => states.get(c)!,
      );
    const w = view(memoised);
    expect(JSON.stringify(w), `step ${step}`).toBe(JSON.stringify(view(fakeAccount())));
    // And the figures themselves, from the states and prices directly.
    let equity = Big('0');
    for (const row of w.list[0]!.coin) {
      const st = states.get(row.coin)!;
      const price = prices.get(row.coin)!;
      expect(row.equity).toBe(st.wallet.plus(st.upl).toFixed());
      expect(row.usdValue, `${row.coin} step ${step}`).toBe(
        st.wallet.plus(st.upl).times(price).round(8, Big.roundHalfUp).toFixed(),
      );
      equity = equity.plus(st.wallet.plus(st.upl).times(price));
    }
    expect(w.list[0]!.totalEquity).toBe(equity.round(8, Big.roundHalfUp).toFixed());
  }
});

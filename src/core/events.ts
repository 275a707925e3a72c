/**
 * A small typed, synchronous event bus. The core emits after each command or tick so listeners
 * (WS feeds, journal, admin) observe a consistent state. The core never knows who listens.
 */
export type Listener<T> = (payload: T) => void;

export class EventBus<Events extends object> {
  private listeners = new Map<keyof Events, Set<Listener<never>>>();

  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of set) (listener as Listener<Events[K]>)(payload);
  }

  hasListeners<K extends keyof Events>(name: K): boolean {
    return (this.listeners.get(name)?.size ?? 0) > 0;
  }
}

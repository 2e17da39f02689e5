using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace SlotEngine.Redis.Client;

/// <summary>
/// Objects kept for reuse on a booking's hot path, at most a fixed number (about the calls in flight at once on one node),
/// so a burst does not pin its peak for good. Thread-safe; an object must be given back only once nobody can still use it.
/// </summary>
/// <typeparam name="T">What is pooled.</typeparam>
internal sealed class BoundedPool<T>
    where T : class
{
    private readonly ConcurrentQueue<T> _items = new();
    private readonly int _max;

    /// <summary>How many the queue holds, or is about to: a return counts itself before it enqueues, a rent after it dequeues.</summary>
    private int _count;

    /// <summary>A pool of at most <paramref name="max"/> objects.</summary>
    public BoundedPool(int max) => _max = max;

    /// <summary>A pooled object, when there is one.</summary>
    public bool TryRent([NotNullWhen(true)] out T? item)
    {
        if (_items.TryDequeue(out item))
        {
            Interlocked.Decrement(ref _count);
            return true;
        }

        return false;
    }

    /// <summary>Keeps <paramref name="item"/> for reuse, unless the pool is full (then it is left to the collector).</summary>
    public void Return(T item)
    {
        // Counted before the enqueue, released after a dequeue: the count never falls below what the queue holds, so the
        // queue never holds more than max (racing returns past max each take their increment back and drop their object).
        if (Interlocked.Increment(ref _count) > _max)
        {
            Interlocked.Decrement(ref _count);
            return;
        }

        _items.Enqueue(item);
    }
}

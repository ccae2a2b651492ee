"""Which of several equal elements PyTorch's CPU kernels pick: replays of the selection and
sorting algorithms behind ``kthvalue`` and ``mode``.

PyTorch documents the index among tied values as unspecified; on its usual CPU path it is
nevertheless fixed by the algorithm the kernel runs. ``kthvalue`` runs a quickselect
(``quick_select_template`` in ATen's ``SortingUtils.h``) and ``mode`` sorts ``(value, index)``
pairs by value alone with ``std::sort`` (libstdc++'s introsort, as in PyTorch's Linux wheels),
then takes the index at the end of the most frequent run. The functions here replay those
algorithms step by step on one slice, comparing values only, so that the index chosen among
ties is PyTorch's. They assume PyTorch's CPU kernels as built with libstdc++ (other builds,
devices or future versions may choose differently; the values never differ). Pure Python:
callers use them only for slices where a tie makes the choice matter.
"""

_THRESHOLD = 16  # libstdc++'s _S_threshold: below it introsort leaves runs to insertion sort


def _greater_or_nan(x, y):
    """kthvalue's comparison: NaN counts as larger than any number (and not than NaN)."""
    return (x != x and y == y) or x > y


def quickselect_index(values, k):
    """The original position of the element ATen's ``quick_select_template`` leaves at
    position ``k`` (0-based) of ``values`` (a sequence of Python numbers), NaN the largest:
    median-of-three pivot, Hoare partition, then the side holding ``k``."""
    arr = list(values)
    index = list(range(len(arr)))

    def swap(i, j):
        arr[i], arr[j] = arr[j], arr[i]
        index[i], index[j] = index[j], index[i]

    gt = _greater_or_nan
    low, high = 0, len(arr) - 1
    while True:
        if high <= low:
            return index[k]
        if high == low + 1:
            if gt(arr[low], arr[high]):
                swap(low, high)
            return index[k]
        middle = low + (high - low) // 2
        swap(middle, low + 1)
        if gt(arr[low + 1], arr[high]):
            swap(low + 1, high)
        if gt(arr[low], arr[high]):
            swap(low, high)
        if gt(arr[low + 1], arr[low]):
            swap(low + 1, low)
        i, j, pivot = low + 1, high, arr[low]
        while True:
            i += 1
            while gt(pivot, arr[i]):
                i += 1
            j -= 1
            while gt(arr[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(low, j)
        if j <= k:
            low = i
        if j >= k:
            high = j - 1


def std_sort_order(values):
    """The original positions of ``values`` in the order libstdc++'s ``std::sort`` leaves
    them when comparing with ``<`` alone (an unstable sort: ties end up in an order set by
    the algorithm): introsort with median-of-three pivots down to runs of 16, heapsort past a
    depth of 2*log2(n), then one insertion sort over the whole range."""
    keys = list(values)
    order = list(range(len(keys)))
    count = len(keys)
    if count > 1:
        _introsort_loop(keys, order, 0, count, 2 * (count.bit_length() - 1))
        _final_insertion_sort(keys, order, 0, count)
    return order


def _swap(keys, order, i, j):
    keys[i], keys[j] = keys[j], keys[i]
    order[i], order[j] = order[j], order[i]


def _introsort_loop(keys, order, first, last, depth_limit):
    while last - first > _THRESHOLD:
        if depth_limit == 0:
            _heap_sort(keys, order, first, last)
            return
        depth_limit -= 1
        cut = _unguarded_partition_pivot(keys, order, first, last)
        _introsort_loop(keys, order, cut, last, depth_limit)
        last = cut


def _unguarded_partition_pivot(keys, order, first, last):
    middle = first + (last - first) // 2
    a, b, c = first + 1, middle, last - 1  # __move_median_to_first(first, a, b, c)
    if keys[a] < keys[b]:
        median = b if keys[b] < keys[c] else (c if keys[a] < keys[c] else a)
    elif keys[a] < keys[c]:
        median = a
    elif keys[b] < keys[c]:
        median = c
    else:
        median = b
    _swap(keys, order, first, median)
    pivot, low, high = keys[first], first + 1, last  # __unguarded_partition(first+1, last, first)
    while True:
        while keys[low] < pivot:
            low += 1
        high -= 1
        while pivot < keys[high]:
            high -= 1
        if not low < high:
            return low
        _swap(keys, order, low, high)
        low += 1


def _final_insertion_sort(keys, order, first, last):
    if last - first > _THRESHOLD:
        _insertion_sort(keys, order, first, first + _THRESHOLD)
        for i in range(first + _THRESHOLD, last):
            _unguarded_linear_insert(keys, order, i)
    else:
        _insertion_sort(keys, order, first, last)


def _insertion_sort(keys, order, first, last):
    for i in range(first + 1, last):
        if keys[i] < keys[first]:  # moves to the front: shift the whole prefix right
            key, position = keys[i], order[i]
            keys[first + 1:i + 1], order[first + 1:i + 1] = keys[first:i], order[first:i]
            keys[first], order[first] = key, position
        else:
            _unguarded_linear_insert(keys, order, i)


def _unguarded_linear_insert(keys, order, last):
    key, position = keys[last], order[last]
    previous = last - 1
    while key < keys[previous]:
        keys[last], order[last] = keys[previous], order[previous]
        last, previous = previous, previous - 1
    keys[last], order[last] = key, position


def _heap_sort(keys, order, first, last):
    """``std::__partial_sort(first, last, last)``: make_heap, then sort_heap."""
    length = last - first
    if length >= 2:
        parent = (length - 2) // 2
        while True:
            _adjust_heap(keys, order, first, parent, length, keys[first + parent],
                         order[first + parent])
            if parent == 0:
                break
            parent -= 1
    while last - first > 1:
        last -= 1
        key, position = keys[last], order[last]  # __pop_heap(first, last, last)
        keys[last], order[last] = keys[first], order[first]
        _adjust_heap(keys, order, first, 0, last - first, key, position)


def _adjust_heap(keys, order, first, hole, length, key, position):
    top, child = hole, hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if keys[first + child] < keys[first + child - 1]:
            child -= 1
        keys[first + hole], order[first + hole] = keys[first + child], order[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        keys[first + hole], order[first + hole] = (keys[first + child - 1],
                                                   order[first + child - 1])
        hole = child - 1
    parent = (hole - 1) // 2  # __push_heap(first, hole, top, value)
    while hole > top and keys[first + parent] < key:
        keys[first + hole], order[first + hole] = keys[first + parent], order[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    keys[first + hole], order[first + hole] = key, position


def mode_index(values):
    """PyTorch's CPU ``mode`` of one slice: after ``std_sort_order``, the runs of equal
    adjacent values (``!=`` ends a run, so each NaN is a run of its own); the first longest
    run wins and its last element's original position is the index."""
    keys = list(values)
    order = std_sort_order(keys)
    best_count, best, run = 0, 0, 0
    for i, position in enumerate(order):
        run += 1
        if i == len(order) - 1 or keys[position] != keys[order[i + 1]]:
            if run > best_count:
                best_count, best = run, position
            run = 0
    return best

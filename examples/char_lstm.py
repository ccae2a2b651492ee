"""A character-level language model: an Embedding, a two-layer LSTM and a Linear head learn to
predict the next character of a short text, written as a PyTorch program with only its imports
changed. Prints the training loss (cross-entropy in nats per character) after every epoch and,
at the end, a continuation of a prompt sampled greedily from the model; trains in seconds on
one CPU core.

    python examples/char_lstm.py [--epochs 12] [--steps 20] [--lr 0.01] [--seed 0]
"""

import time

from _shared import cli
import tinygrad_bn as torch
import tinygrad_bn.nn as nn
import tinygrad_bn.nn.functional as F
import tinygrad_bn.optim as optim

TEXT = (
    "twinkle, twinkle, little star, how I wonder what you are! "
    "up above the world so high, like a diamond in the sky. "
    "when the blazing sun is gone, when he nothing shines upon, "
    "then you show your little light, twinkle, twinkle, all the night. "
)


class CharLSTM(nn.Module):
    """characters -> Embedding(16) -> LSTM(16 -> 64, 2 layers) -> Linear(64 -> vocabulary)."""

    def __init__(self, vocabulary_size, hidden_size=64):
        super().__init__()
        self.embed = nn.Embedding(vocabulary_size, 16)
        self.lstm = nn.LSTM(16, hidden_size, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden_size, vocabulary_size)

    def forward(self, ids, state=None):
        output, state = self.lstm(self.embed(ids), state)  # (N, L, hidden_size)
        return self.head(output), state


def batches(data, count, batch_size, length, generator):
    """``count`` batches of ``batch_size`` random windows: inputs and the next characters."""
    for _ in range(count):
        starts = torch.randint(0, len(data) - length - 1, (batch_size,), generator=generator)
        windows = torch.stack([data[int(s):int(s) + length + 1] for s in starts])
        yield windows[:, :-1], windows[:, 1:]


def generate(model, prompt, characters, index, length):
    """Feed ``prompt``, then append the most likely next character ``length`` times."""
    model.eval()
    with torch.no_grad():
        logits, state = model(torch.tensor([[index[c] for c in prompt]]))
        text = prompt
        for _ in range(length):
            next_id = int(logits[0, -1].argmax())
            text += characters[next_id]
            logits, state = model(torch.tensor([[next_id]]), state)
    return text


def main(argv=None):
    parser = cli.make_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=12, help="training epochs")
    parser.add_argument("--steps", type=int, default=20, help="optimizer steps per epoch")
    parser.add_argument("--lr", type=float, default=0.01, help="Adam learning rate")
    parser.add_argument("--batch-size", type=int, default=16, help="windows per batch")
    parser.add_argument("--length", type=int, default=32, help="characters per window")
    parser.add_argument("--seed", type=int, default=0, help="the weights and the windows")
    args = parser.parse_args(argv)
    cli.require_positive(parser, args, "epochs", "steps", "lr", "batch-size", "length")

    characters = sorted(set(TEXT))
    index = {c: i for i, c in enumerate(characters)}
    data = torch.tensor([index[c] for c in TEXT])
    print(f"text: {len(TEXT)} characters, vocabulary of {len(characters)}")
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    model = CharLSTM(len(characters))
    print(model)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    losses = []
    start = time.perf_counter()
    print(f"{'epoch':>5}  {'train loss':>10}")
    for epoch in range(1, args.epochs + 1):
        model.train()
        total = 0.0
        for inputs, targets in batches(data, args.steps, args.batch_size, args.length,
                                       generator):
            optimizer.zero_grad()
            logits, _ = model(inputs)
            loss = F.cross_entropy(logits.reshape(-1, len(characters)), targets.reshape(-1))
            loss.backward()
            optimizer.step()
            total += loss.item()
        losses.append(total / args.steps)
        print(f"{epoch:>5}  {losses[-1]:>10.4f}")
    seconds = time.perf_counter() - start
    sample = generate(model, "twinkle, twinkle, ", characters, index, 60)
    print(f"sample: {sample!r}")
    print(f"final train loss {losses[-1]:.4f} (seed {args.seed}); wall time {seconds:.1f} s")
    return {"losses": losses, "sample": sample, "seconds": seconds}


if __name__ == "__main__":
    main()

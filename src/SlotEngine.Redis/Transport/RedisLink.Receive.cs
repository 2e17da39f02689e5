using System.Buffers;
using System.IO.Pipelines;

namespace SlotEngine.Redis.Transport;

internal sealed partial class RedisLink
{
    /// <summary>Parses replies as they arrive and hands each to the command at the head of the FIFO.</summary>
    private async Task ReadLoopAsync()
    {
        var input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true));
        Exception cause;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var consumed = DeliverReplies(result.Buffer);
                input.AdvanceTo(consumed, result.Buffer.End);
                if (result.IsCompleted)
                {
                    cause = new RedisConnectionException($"{EndpointName} closed the connection.");
                    break;
                }
            }
        }
        catch (Exception e)
        {
            // Any failure of the read side (socket error, protocol error, disposal) ends the link: the FIFO
            // can no longer be matched to the stream.
            cause = e;
        }

        await input.CompleteAsync().ConfigureAwait(false);
        Fail(cause);
    }

    private SequencePosition DeliverReplies(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (RespParser.TryRead(ref reader, out var reply))
        {
            Deliver(reply);
        }

        return reader.Position;
    }

    private void Deliver(in RedisReply reply)
    {
        if (_tryHandlePush is not null && _tryHandlePush(reply))
        {
            return;
        }

        PendingReply? pending;
        lock (_queueLock)
        {
            _awaitingReply.TryDequeue(out pending);
        }

        if (pending is null)
        {
            throw new RedisProtocolException($"{EndpointName} sent a reply ({reply}) while no command was waiting for one.");
        }

        pending.TryComplete(reply);
        pending.Release();
    }
}

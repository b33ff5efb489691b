package dev.stratus.core.store.memory;

import dev.stratus.core.store.InFlightStore;
import dev.stratus.core.store.OutboundFlight;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In-flight state per client, each client's state guarded by its own monitor (never a lock across
 * clients). Packet ids are handed out round-robin from the last one used, skipping ids in use, so
 * that an id is not reused right after its acknowledgement.
 */
public final class MemoryInFlightStore implements InFlightStore {

  private static final class ClientState {
    final LinkedHashMap<Integer, OutboundFlight> outbound = new LinkedHashMap<>();
    final Set<Integer> inbound = new HashSet<>();
    int nextId = 1;
  }

  private final ConcurrentHashMap<String, ClientState> clients = new ConcurrentHashMap<>();

  private ClientState state(String clientId) {
    return clients.computeIfAbsent(clientId, k -> new ClientState());
  }

  @Override
  public int allocate(String clientId, OutboundFlight flight) {
    ClientState s = state(clientId);
    synchronized (s) {
      if (s.outbound.size() >= 65_535) {
        return 0;
      }
      int id = s.nextId;
      while (s.outbound.containsKey(id)) {
        id = id == 65_535 ? 1 : id + 1;
      }
      s.outbound.put(id, flight.withPacketId(id));
      s.nextId = id == 65_535 ? 1 : id + 1;
      return id;
    }
  }

  @Override
  public OutboundFlight get(String clientId, int packetId) {
    ClientState s = clients.get(clientId);
    if (s == null) {
      return null;
    }
    synchronized (s) {
      return s.outbound.get(packetId);
    }
  }

  @Override
  public boolean replace(String clientId, OutboundFlight flight) {
    ClientState s = clients.get(clientId);
    if (s == null) {
      return false;
    }
    synchronized (s) {
      // replace() keeps the entry's place in the insertion order
      return s.outbound.replace(flight.packetId(), flight) != null;
    }
  }

  @Override
  public OutboundFlight remove(String clientId, int packetId) {
    ClientState s = clients.get(clientId);
    if (s == null) {
      return null;
    }
    synchronized (s) {
      return s.outbound.remove(packetId);
    }
  }

  @Override
  public List<OutboundFlight> outbound(String clientId) {
    ClientState s = clients.get(clientId);
    if (s == null) {
      return List.of();
    }
    synchronized (s) {
      return List.copyOf(s.outbound.values());
    }
  }

  @Override
  public int outboundCount(String clientId) {
    ClientState s = clients.get(clientId);
    if (s == null) {
      return 0;
    }
    synchronized (s) {
      return s.outbound.size();
    }
  }

  @Override
  public boolean addInbound(String clientId, int packetId) {
    ClientState s = state(clientId);
    synchronized (s) {
      return s.inbound.add(packetId);
    }
  }

  @Override
  public boolean removeInbound(String clientId, int packetId) {
    ClientState s = clients.get(clientId);
    if (s == null) {
      return false;
    }
    synchronized (s) {
      return s.inbound.remove(packetId);
    }
  }

  @Override
  public int inboundCount(String clientId) {
    ClientState s = clients.get(clientId);
    if (s == null) {
      return 0;
    }
    synchronized (s) {
      return s.inbound.size();
    }
  }

  @Override
  public void clear(String clientId) {
    clients.remove(clientId);
  }
}
